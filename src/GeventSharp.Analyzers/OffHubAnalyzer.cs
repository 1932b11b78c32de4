using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GeventSharp.Analyzers;

/// <summary>GS0006: a hub-only API (a wait, a spawn, a kill) in code that provably runs off the hub.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class OffHubAnalyzer : GreenletAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.OffHub);

    protected override void Register(CompilationStartAnalysisContext start, GreenletCode code) =>
        start.RegisterOperationAction(c => OnCall(c, code), OperationKind.Invocation, OperationKind.ObjectCreation);

    private static void OnCall(OperationAnalysisContext context, GreenletCode code)
    {
        IMethodSymbol? method = context.Operation switch
        {
            IInvocationOperation i => i.TargetMethod,
            IObjectCreationOperation o => o.Constructor,
            _ => null,
        };
        if (method is null || !code.IsHubOnly(method))
        {
            return;
        }

        (CodeKind kind, string? where) = code.ClassifyAt(context.Operation.Syntax, context.Operation.SemanticModel!);
        if (kind == CodeKind.OffHub)
        {
            string name = method.MethodKind == MethodKind.Constructor ? $"new {method.ContainingType.Name}" : $"{method.ContainingType.Name}.{method.Name}";
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.OffHub, context.Operation.Syntax.GetLocation(), name, where));
        }
    }
}
