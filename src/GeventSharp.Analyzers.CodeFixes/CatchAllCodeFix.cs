using System.Collections.Generic;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace GeventSharp.Analyzers;

/// <summary>
/// GS0004: lets <c>GreenletExit</c> and <c>Timeout</c> through the catch-all:
/// <c>catch (Exception e) when (e is not GreenletExit and not Timeout)</c>, declaring the variable
/// (and <c>Exception</c> for a bare <c>catch</c>) and keeping an existing filter (<c>&amp;&amp;</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CatchAllCodeFix)), Shared]
internal sealed class CatchAllCodeFix : GreenletCodeFix
{
    public CatchAllCodeFix()
        : base(Descriptors.CatchAll)
    {
    }

    protected override CodeAction? Fix(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic) =>
        Fixes.Find<CatchClauseSyntax>(root, diagnostic) is { } clause
        && diagnostic.Properties.TryGetValue(CatchAllAnalyzer.SwallowedKey, out string? swallowed) && swallowed is not null
            ? Fixes.Replace("Let GreenletExit and Timeout through (when e is not ...)", document, clause, LetThrough(clause, swallowed.Split(','), model), diagnostic.Id)
            : null;

    private static CatchClauseSyntax LetThrough(CatchClauseSyntax clause, string[] swallowed, SemanticModel model)
    {
        CatchDeclarationSyntax declaration = clause.Declaration
            ?? CatchDeclaration(Fixes.Type("System.Exception")).WithAdditionalAnnotations(Formatter.Annotation);
        if (declaration.Identifier.IsKind(SyntaxKind.None))
        {
            declaration = declaration.WithIdentifier(Identifier(FreeName(clause, model)));
        }

        // e is not GreenletExit and not Timeout
        PatternSyntax pattern = swallowed
            .Select(name => (PatternSyntax)UnaryPattern(TypePattern(Fixes.Type("GeventSharp." + name))))
            .Aggregate((left, right) => BinaryPattern(SyntaxKind.AndPattern, left, right));
        ExpressionSyntax test = IsPatternExpression(IdentifierName(declaration.Identifier.ValueText), pattern);
        if (clause.Filter is { } existing)
        {
            ExpressionSyntax kept = existing.FilterExpression is ConditionalExpressionSyntax or AssignmentExpressionSyntax
                || existing.FilterExpression.IsKind(SyntaxKind.LogicalOrExpression) || existing.FilterExpression.IsKind(SyntaxKind.CoalesceExpression)
                ? ParenthesizedExpression(existing.FilterExpression)
                : existing.FilterExpression;
            test = BinaryExpression(SyntaxKind.LogicalAndExpression, kept, test);
        }

        return clause
            .WithDeclaration(declaration.WithTrailingTrivia(Space))
            .WithCatchKeyword(clause.CatchKeyword.WithTrailingTrivia(Space))
            .WithFilter(CatchFilterClause(test).WithTrailingTrivia(clause.Filter?.GetTrailingTrivia() ?? clause.Declaration?.GetTrailingTrivia() ?? clause.CatchKeyword.TrailingTrivia))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>"e", or "ex", "exception", "e2"... when a symbol of that name is already visible.</summary>
    private static string FreeName(CatchClauseSyntax clause, SemanticModel model)
    {
        var taken = new HashSet<string>(model.LookupSymbols(clause.Block.SpanStart).Select(s => s.Name));
        foreach (string name in new[] { "e", "ex", "exception" }.Concat(Enumerable.Range(2, 50).Select(i => "e" + i)))
        {
            if (!taken.Contains(name) && !clause.Block.DescendantTokens().Any(t => t.IsKind(SyntaxKind.IdentifierToken) && t.ValueText == name))
            {
                return name;
            }
        }

        return "caught";
    }
}
