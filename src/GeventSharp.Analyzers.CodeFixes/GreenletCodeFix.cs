using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace GeventSharp.Analyzers;

/// <summary>The shape of every GS code fix: one action (or none) per diagnostic, fixable all at once.</summary>
internal abstract class GreenletCodeFix : CodeFixProvider
{
    protected GreenletCodeFix(params DiagnosticDescriptor[] rules) => FixableDiagnosticIds = rules.Select(r => r.Id).ToImmutableArray();

    public sealed override ImmutableArray<string> FixableDiagnosticIds { get; }

    public sealed override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false))!;
        SemanticModel model = (await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false))!;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (Fix(context.Document, root, model, diagnostic) is { } action)
            {
                context.RegisterCodeFix(action, diagnostic);
            }
        }
    }

    /// <summary>The fix of <paramref name="diagnostic"/>, or null when none applies here.</summary>
    protected abstract CodeAction? Fix(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic);
}
