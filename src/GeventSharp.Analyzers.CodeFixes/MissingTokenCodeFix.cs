using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace GeventSharp.Analyzers;

/// <summary>GS0005: pass <c>Greenlet.Current!.CancellationToken</c> (by name when the call leaves optional parameters out).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MissingTokenCodeFix)), Shared]
internal sealed class MissingTokenCodeFix : GreenletCodeFix
{
    public MissingTokenCodeFix()
        : base(Descriptors.MissingToken)
    {
    }

    protected override CodeAction? Fix(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        if (Fixes.Find<InvocationExpressionSyntax>(root, diagnostic) is not { } call)
        {
            return null;
        }

        // Greenlet.Current is null only off a greenlet, and greenlet code runs on one.
        ExpressionSyntax token = MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression,
            PostfixUnaryExpression(
                SyntaxKind.SuppressNullableWarningExpression,
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Fixes.Type("GeventSharp.Greenlet"), IdentifierName("Current"))),
            IdentifierName("CancellationToken"));
        ArgumentSyntax argument = Argument(token);
        bool positional = !diagnostic.Properties.TryGetValue(MissingTokenAnalyzer.OrdinalKey, out string? ordinal)
            || (int.TryParse(ordinal, out int index) && index == call.ArgumentList.Arguments.Count && call.ArgumentList.Arguments.All(a => a.NameColon is null));
        if (!positional && diagnostic.Properties.TryGetValue(MissingTokenAnalyzer.ParameterKey, out string? parameter) && parameter is not null)
        {
            argument = argument.WithNameColon(NameColon(IdentifierName(parameter)));
        }

        InvocationExpressionSyntax fixedCall = call.WithArgumentList(call.ArgumentList.AddArguments(argument));
        return Fixes.Replace("Pass the greenlet's CancellationToken", document, call, fixedCall, diagnostic.Id);
    }
}
