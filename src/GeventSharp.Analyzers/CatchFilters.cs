using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GeventSharp.Analyzers;

/// <summary>
/// Whether a catch filter is provably false for an exception of a given type: <c>e is IOException</c>,
/// <c>e is not GreenletExit and not Timeout</c>, <c>mine.Caused(e)</c>, and their <c>&amp;&amp;</c>/<c>||</c> combinations.
/// </summary>
internal static class CatchFilters
{
    /// <summary>True if <paramref name="condition"/> is false whenever the caught exception <paramref name="e"/> is a <paramref name="signal"/>.</summary>
    public static bool Rejects(IOperation? condition, ILocalSymbol? e, ITypeSymbol signal) => condition switch
    {
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and => Rejects(and.LeftOperand, e, signal) || Rejects(and.RightOperand, e, signal),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or => Rejects(or.LeftOperand, e, signal) && Rejects(or.RightOperand, e, signal),
        IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not => AlwaysTrue(not.Operand, e, signal),
        IIsPatternOperation p when IsCaught(p.Value, e) => PatternRejects(p.Pattern, signal),
        IIsTypeOperation t when IsCaught(t.ValueOperand, e) => !Is(signal, t.TypeOperand),
        // Timeout.Caused(e) (and the like on GeventSharp's types): true only for that one timeout's exception.
        IInvocationOperation { TargetMethod.Name: "Caused" } call => GreenletCode.IsLibrary(call.TargetMethod),
        _ => false,
    };

    private static bool AlwaysTrue(IOperation? condition, ILocalSymbol? e, ITypeSymbol signal) => condition switch
    {
        IIsPatternOperation p when IsCaught(p.Value, e) => PatternAlwaysMatches(p.Pattern, signal),
        IIsTypeOperation t when IsCaught(t.ValueOperand, e) => Is(signal, t.TypeOperand),
        IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not => Rejects(not.Operand, e, signal),
        _ => false,
    };

    private static bool PatternRejects(IPatternOperation pattern, ITypeSymbol signal) => pattern switch
    {
        ITypePatternOperation t => !Is(signal, t.MatchedType),
        IDeclarationPatternOperation d => d.MatchedType is { } m && !Is(signal, m),
        IRecursivePatternOperation r => !Is(signal, r.MatchedType),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => PatternRejects(or.LeftPattern, signal) && PatternRejects(or.RightPattern, signal),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } and => PatternRejects(and.LeftPattern, signal) || PatternRejects(and.RightPattern, signal),
        INegatedPatternOperation not => PatternAlwaysMatches(not.Pattern, signal),
        _ => false,
    };

    private static bool PatternAlwaysMatches(IPatternOperation pattern, ITypeSymbol signal) => pattern switch
    {
        ITypePatternOperation t => Is(signal, t.MatchedType),
        IDeclarationPatternOperation d => d.MatchedType is { } m && Is(signal, m),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.Or } or => PatternAlwaysMatches(or.LeftPattern, signal) || PatternAlwaysMatches(or.RightPattern, signal),
        IBinaryPatternOperation { OperatorKind: BinaryOperatorKind.And } and => PatternAlwaysMatches(and.LeftPattern, signal) && PatternAlwaysMatches(and.RightPattern, signal),
        INegatedPatternOperation not => PatternRejects(not.Pattern, signal),
        _ => false,
    };

    private static bool IsCaught(IOperation value, ILocalSymbol? e) =>
        (value is IConversionOperation c ? c.Operand : value) is ILocalReferenceOperation local && SymbolEqualityComparer.Default.Equals(local.Local, e);

    /// <summary>True if every <paramref name="signal"/> is a <paramref name="type"/>.</summary>
    private static bool Is(ITypeSymbol signal, ITypeSymbol? type)
    {
        for (ITypeSymbol? t = signal; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, type))
            {
                return true;
            }
        }

        return false;
    }
}
