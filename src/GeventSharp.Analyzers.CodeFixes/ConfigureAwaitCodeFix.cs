using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeventSharp.Analyzers;

/// <summary>GS0003: <c>await x.ConfigureAwait(false)</c> → <c>await x</c>.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(ConfigureAwaitCodeFix)), Shared]
internal sealed class ConfigureAwaitCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.ConfigureAwaitFalse.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false))!;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (Fixes.Find<InvocationExpressionSyntax>(root, diagnostic) is { } call && ConfigureAwaitAnalyzer.ConfigureAwaitFalse(call) is { } access)
            {
                context.RegisterCodeFix(
                    Fixes.Replace("Remove ConfigureAwait(false)", context.Document, call, access.Expression.WithTriviaFrom(call), diagnostic.Id),
                    diagnostic);
            }
        }
    }
}
