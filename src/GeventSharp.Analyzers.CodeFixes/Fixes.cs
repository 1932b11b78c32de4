using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace GeventSharp.Analyzers;

/// <summary>Helpers shared by the code fixes.</summary>
internal static class Fixes
{
    /// <summary>A fully qualified type name that the simplifier shortens to what the file's usings allow (<c>Gevent</c>, <c>GeventSharp.Timeout</c>).</summary>
    public static TypeSyntax Type(string fullName) =>
        ParseTypeName("global::" + fullName).WithAdditionalAnnotations(Simplifier.Annotation);

    /// <summary><c>await e</c>, parenthesized where the context needs it (the simplifier drops needless parentheses).</summary>
    public static ExpressionSyntax Await(ExpressionSyntax e, SyntaxNode replaced)
    {
        ExpressionSyntax awaited = AwaitExpression(e.WithoutTrivia());
        if (replaced.Parent is not (ExpressionStatementSyntax or ArgumentSyntax or EqualsValueClauseSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax))
        {
            awaited = ParenthesizedExpression(awaited).WithAdditionalAnnotations(Simplifier.Annotation);
        }

        return awaited.WithTriviaFrom(replaced).WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>A code action replacing <paramref name="node"/> in <paramref name="document"/>.</summary>
    public static CodeAction Replace(string title, Document document, SyntaxNode node, SyntaxNode replacement, string key) =>
        CodeAction.Create(title, async ct => await ReplaceAsync(document, node, replacement, ct).ConfigureAwait(false), key);

    private static async Task<Document> ReplaceAsync(Document document, SyntaxNode node, SyntaxNode replacement, CancellationToken ct)
    {
        SyntaxNode root = (await document.GetSyntaxRootAsync(ct).ConfigureAwait(false))!;
        return document.WithSyntaxRoot(root.ReplaceNode(node, replacement));
    }

    /// <summary>The innermost node of <paramref name="root"/> of type <typeparamref name="T"/> covering the diagnostic.</summary>
    public static T? Find<T>(SyntaxNode root, Diagnostic diagnostic)
        where T : SyntaxNode
    {
        SyntaxNode node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        foreach (SyntaxNode n in node.AncestorsAndSelf())
        {
            if (n is T t)
            {
                return t;
            }
        }

        return null;
    }
}
