using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GeventSharp.Analyzers;

/// <summary>GS0003: <c>ConfigureAwait(false)</c> in greenlet code.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
internal sealed class ConfigureAwaitAnalyzer : GreenletAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ConfigureAwaitFalse);

    protected override void Register(CompilationStartAnalysisContext start, GreenletCode code) =>
        start.RegisterSyntaxNodeAction(c => OnInvocation(c, code), SyntaxKind.InvocationExpression);

    /// <summary>The <c>x.ConfigureAwait(false)</c> call, if <paramref name="node"/> is one.</summary>
    public static MemberAccessExpressionSyntax? ConfigureAwaitFalse(SyntaxNode node) =>
        node is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access,
            ArgumentList.Arguments: { Count: 1 } arguments,
        } && arguments[0].Expression.IsKind(SyntaxKind.FalseLiteralExpression)
            ? access
            : null;

    /// <summary>GeventSharp's own waits complete on the hub: ConfigureAwait(false) on them resumes there anyway.</summary>
    private static bool OfGeventSharp(ExpressionSyntax awaited, SemanticModel model) =>
        GreenletCode.IsLibrary(model.GetSymbolInfo(awaited).Symbol) || GreenletCode.IsLibrary(model.GetTypeInfo(awaited).Type);

    private static void OnInvocation(SyntaxNodeAnalysisContext context, GreenletCode code)
    {
        if (ConfigureAwaitFalse(context.Node) is not { } access
            || context.SemanticModel.GetSymbolInfo(context.Node, context.CancellationToken).Symbol is not IMethodSymbol method
            || method.ContainingNamespace?.ToDisplayString() is not ("System.Threading.Tasks" or "System.Runtime.CompilerServices")
            || OfGeventSharp(access.Expression, context.SemanticModel)
            || code.KindAt(context.Node, context.SemanticModel) != CodeKind.Greenlet)
        {
            return;
        }

        // Underline ".ConfigureAwait(false)", the part the fix removes.
        var span = TextSpan.FromBounds(access.OperatorToken.SpanStart, context.Node.Span.End);
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.ConfigureAwaitFalse, Location.Create(context.Node.SyntaxTree, span)));
    }
}
