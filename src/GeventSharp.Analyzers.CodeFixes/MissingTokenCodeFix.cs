using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace GeventSharp.Analyzers;

/// <summary>GS0005: pass <c>Greenlet.Current!.CancellationToken</c> (by name when the call leaves optional parameters out).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MissingTokenCodeFix)), Shared]
internal sealed class MissingTokenCodeFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.MissingToken.Id);

    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode root = (await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false))!;
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (Fixes.Find<InvocationExpressionSyntax>(root, diagnostic) is not { } call)
            {
                continue;
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
            context.RegisterCodeFix(Fixes.Replace("Pass the greenlet's CancellationToken", context.Document, call, fixedCall, diagnostic.Id), diagnostic);
        }
    }
}
