using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GeventSharp.Analyzers;

/// <summary>
/// GS0005: in greenlet code, awaiting a foreign call that can take a <see cref="System.Threading.CancellationToken"/>
/// without passing one, where no token parameter is in scope (there CA2016 asks to forward it).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class MissingTokenAnalyzer : GreenletAnalyzer
{
    /// <summary>Diagnostic property: the token parameter's name when the call leaves it to its default (pass it by name); absent when an overload takes it last.</summary>
    public const string ParameterKey = "Parameter";

    /// <summary>Diagnostic property: that parameter's position (the fix passes the token positionally when the arguments before it are all there).</summary>
    public const string OrdinalKey = "Ordinal";

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.MissingToken);

    protected override void Register(CompilationStartAnalysisContext start, GreenletCode code)
    {
        if (code.CancellationToken is not null)
        {
            start.RegisterOperationAction(c => OnAwait(c, code), OperationKind.Await);
        }
    }

    private static void OnAwait(OperationAnalysisContext context, GreenletCode code)
    {
        IOperation awaited = ((IAwaitOperation)context.Operation).Operation;
        if (awaited is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } configured })
        {
            awaited = configured;
        }

        if (awaited is not IInvocationOperation call || GreenletCode.IsLibrary(call.TargetMethod) || OnlyStopsTheStart(call.TargetMethod))
        {
            return;
        }

        ImmutableDictionary<string, string?>? props = null;
        IArgumentOperation? defaulted = call.Arguments.FirstOrDefault(a =>
            a.ArgumentKind == ArgumentKind.DefaultValue && IsToken(a.Parameter?.Type, code));
        if (defaulted is not null)
        {
            props = ImmutableDictionary<string, string?>.Empty
                .Add(ParameterKey, defaulted.Parameter!.Name)
                .Add(OrdinalKey, defaulted.Parameter.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (!call.TargetMethod.Parameters.Any(p => IsToken(p.Type, code)) && HasTokenOverload(call.TargetMethod, code))
        {
            props = ImmutableDictionary<string, string?>.Empty;
        }

        if (props is null || TokenInScope(call.Syntax, call.SemanticModel!, code)
            || code.KindAt(call.Syntax, call.SemanticModel!) != CodeKind.Greenlet)
        {
            return;
        }

        string name = $"{call.TargetMethod.ContainingType.Name}.{call.TargetMethod.Name}";
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.MissingToken, call.Syntax.GetLocation(), props, name));
    }

    /// <summary>Task.Run and StartNew: their token only keeps the work from starting; the work itself runs off the hub.</summary>
    private static bool OnlyStopsTheStart(IMethodSymbol method) =>
        method.Name is "Run" or "StartNew" && method.ContainingType.ToDisplayString() is "System.Threading.Tasks.Task" or "System.Threading.Tasks.TaskFactory";

    private static bool IsToken(ITypeSymbol? type, GreenletCode code) => SymbolEqualityComparer.Default.Equals(type, code.CancellationToken);

    /// <summary>An overload of the same name that takes the same parameters and then a token.</summary>
    private static bool HasTokenOverload(IMethodSymbol method, GreenletCode code) =>
        method.ContainingType.GetMembers(method.Name).OfType<IMethodSymbol>().Any(o =>
            o.IsStatic == method.IsStatic
            && o.Parameters.Length == method.Parameters.Length + 1
            && IsToken(o.Parameters[o.Parameters.Length - 1].Type, code)
            && o.Parameters.Take(method.Parameters.Length).Zip(method.Parameters, (a, b) => a.Type.ToDisplayString() == b.Type.ToDisplayString()).All(same => same));

    /// <summary>A token parameter of an enclosing function (CA2016's case), or a token local declared before.</summary>
    private static bool TokenInScope(SyntaxNode node, SemanticModel model, GreenletCode code) =>
        model.LookupSymbols(node.SpanStart).Any(s => s is IParameterSymbol { Type: var t } && IsToken(t, code));
}
