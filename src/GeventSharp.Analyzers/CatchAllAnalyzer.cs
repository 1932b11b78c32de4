using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GeventSharp.Analyzers;

/// <summary>
/// GS0004: in greenlet code, a <c>catch</c> of <see cref="System.Exception"/> (or <c>catch</c>
/// alone) whose try block awaits, and which lets neither <c>GreenletExit</c> nor <c>Timeout</c> through.
/// </summary>
/// <remarks>
/// An exception is let through by an earlier catch clause of its own type, by a filter that names
/// its type or is provably false for it (<see cref="CatchFilters"/>), or by a catch block that ends in <c>throw</c>.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class CatchAllAnalyzer : GreenletAnalyzer
{
    /// <summary>Diagnostic property: the swallowed types, among "GreenletExit" and "Timeout", comma-separated.</summary>
    public const string SwallowedKey = "Swallowed";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.CatchAll);

    protected override void Register(CompilationStartAnalysisContext start, GreenletCode code) =>
        start.RegisterSyntaxNodeAction(c => OnTry(c, code), SyntaxKind.TryStatement);

    /// <summary>True if <paramref name="block"/> waits: an await, <c>await foreach</c> or <c>await using</c> of its own.</summary>
    public static bool Awaits(SyntaxNode block) => GreenletCode.OwnNodes(block).Any(n => n switch
    {
        AwaitExpressionSyntax => true,
        CommonForEachStatementSyntax f => f.AwaitKeyword.IsKind(SyntaxKind.AwaitKeyword),
        UsingStatementSyntax u => u.AwaitKeyword.IsKind(SyntaxKind.AwaitKeyword),
        LocalDeclarationStatementSyntax d => d.AwaitKeyword.IsKind(SyntaxKind.AwaitKeyword),
        _ => false,
    });

    private static void OnTry(SyntaxNodeAnalysisContext context, GreenletCode code)
    {
        var tryStatement = (TryStatementSyntax)context.Node;
        if (tryStatement.Catches.Count == 0 || !Awaits(tryStatement.Block)
            || code.KindAt(tryStatement, context.SemanticModel) != CodeKind.Greenlet)
        {
            return;
        }

        INamedTypeSymbol[] signals = [code.GreenletExit, code.Timeout];
        var handledEarlier = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (CatchClauseSyntax clause in tryStatement.Catches)
        {
            ITypeSymbol? caught = clause.Declaration is { } d ? context.SemanticModel.GetTypeInfo(d.Type, context.CancellationToken).Type : null;
            if (caught is not null && signals.Any(s => SymbolEqualityComparer.Default.Equals(s, caught)))
            {
                handledEarlier.Add(caught);
                continue;
            }

            bool catchAll = caught is null || caught.SpecialType == SpecialType.System_Object || caught.ToDisplayString() == "System.Exception";
            if (!catchAll || EndsInThrow(clause.Block))
            {
                continue;
            }

            var named = Named(clause.Filter, context.SemanticModel);
            IOperation? filter = clause.Filter is { } f ? context.SemanticModel.GetOperation(f.FilterExpression, context.CancellationToken) : null;
            ILocalSymbol? local = clause.Declaration is { } decl ? context.SemanticModel.GetDeclaredSymbol(decl, context.CancellationToken) : null;
            string[] swallowed = signals
                .Where(s => !handledEarlier.Contains(s) && !named.Contains(s) && !CatchFilters.Rejects(filter, local, s))
                .Select(s => s.Name)
                .ToArray();
            if (swallowed.Length > 0)
            {
                int end = clause.Filter?.Span.End ?? clause.Declaration?.Span.End ?? clause.CatchKeyword.Span.End;
                var location = Location.Create(tryStatement.SyntaxTree, TextSpan.FromBounds(clause.CatchKeyword.SpanStart, end));
                var props = ImmutableDictionary<string, string?>.Empty.Add(SwallowedKey, string.Join(",", swallowed));
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.CatchAll, location, props, string.Join(" and ", swallowed)));
            }
        }
    }

    /// <summary>The block ends by throwing: <c>throw;</c>, <c>throw x;</c> or <c>ExceptionDispatchInfo.Capture(e).Throw()</c>.</summary>
    private static bool EndsInThrow(BlockSyntax block) => block.Statements.LastOrDefault() switch
    {
        ThrowStatementSyntax => true,
        ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Throw" } access } } =>
            access.Expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText is "ExceptionDispatchInfo" or "Capture"),
        _ => false,
    };

    /// <summary>The types a filter names (<c>e is not GreenletExit</c>, <c>e is Timeout t</c>, <c>typeof(...)</c>).</summary>
    private static HashSet<ISymbol> Named(CatchFilterClauseSyntax? filter, SemanticModel model)
    {
        var types = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        if (filter is null)
        {
            return types;
        }

        foreach (SyntaxNode n in filter.FilterExpression.DescendantNodesAndSelf())
        {
            if (n is TypeSyntax or IdentifierNameSyntax && model.GetSymbolInfo(n).Symbol is ITypeSymbol t)
            {
                types.Add(t);
            }
        }

        return types;
    }
}
