using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeventSharp.Analyzers;

/// <summary>GS0003: <c>await x.ConfigureAwait(false)</c> → <c>await x</c>.</summary>
[ExportCodeFixProvider(Microsoft.CodeAnalysis.LanguageNames.CSharp, Name = nameof(ConfigureAwaitCodeFix)), Shared]
internal sealed class ConfigureAwaitCodeFix : GreenletCodeFix
{
    public ConfigureAwaitCodeFix()
        : base(Descriptors.ConfigureAwaitFalse)
    {
    }

    protected override CodeAction? Fix(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic) =>
        Fixes.Find<InvocationExpressionSyntax>(root, diagnostic) is { } call && ConfigureAwaitAnalyzer.ConfigureAwaitFalse(call) is { } access
            ? Fixes.Replace("Remove ConfigureAwait(false)", document, call, access.Expression.WithTriviaFrom(call), diagnostic.Id)
            : null;
}
