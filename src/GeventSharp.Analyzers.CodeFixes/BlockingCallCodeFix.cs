using System.Composition;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace GeventSharp.Analyzers;

/// <summary>
/// GS0001/GS0002: the cooperative call. <c>Thread.Sleep</c> → <c>await Gevent.Sleep</c>;
/// <c>.Wait()</c>, <c>.Result</c>, <c>GetAwaiter().GetResult()</c> → <c>await</c>; <c>Task.WaitAll</c> →
/// <c>await Task.WhenAll</c>; other blocking waits → <c>await Gevent.RunBlockingAsync(() => ...)</c>;
/// synchronous I/O → <c>await</c> its async twin. Offered in async functions only.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BlockingCallCodeFix)), Shared]
internal sealed class BlockingCallCodeFix : GreenletCodeFix
{
    public BlockingCallCodeFix()
        : base(Descriptors.BlockingWait, Descriptors.SyncIo)
    {
    }

    protected override CodeAction? Fix(Document document, SyntaxNode root, SemanticModel model, Diagnostic diagnostic)
    {
        if (!diagnostic.Properties.TryGetValue(BlockingCallAnalyzer.FixKey, out string? fix) || fix is null)
        {
            return null;
        }

        SyntaxNode found = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        ExpressionSyntax? node = found is ArgumentSyntax a ? a.Expression : found as ExpressionSyntax;

        if (node is null || !Awaitables.IsAsync(GreenletCode.EnclosingFunction(node)) || Rewrite(node, fix) is not { } replacement)
        {
            return null;
        }

        string title = fix switch
        {
            "sleep" or "sleepspan" => "Use await Gevent.Sleep",
            "await" => "Await the task",
            "whenall" => "Use await Task.WhenAll",
            "twin" => "Await the asynchronous method",
            _ => "Run it with await Gevent.RunBlockingAsync",
        };
        return Fixes.Replace(title, document, node, replacement, diagnostic.Id + fix);
    }

    private static ExpressionSyntax? Rewrite(ExpressionSyntax node, string fix)
    {
        switch (fix)
        {
            case "sleep" when node is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } args }:
                return Fixes.Await(GeventCall("Sleep", SleepArgument(args[0].Expression)), node);
            case "sleepspan" when node is InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 1 } args }:
                return Fixes.Await(GeventCall("Sleep", args[0].Expression.WithoutTrivia()), node);
            case "await" when node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Wait" } wait }:
                return Fixes.Await(wait.Expression, node);
            case "await" when node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetResult", Expression: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetAwaiter" } getAwaiter } } }:
                return Fixes.Await(getAwaiter.Expression, node);
            case "await" when node is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Result" } result:
                return Fixes.Await(result.Expression, node);
            case "whenall" when node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax waitAll } call:
                return Fixes.Await(call.WithExpression(waitAll.WithName(IdentifierName("WhenAll"))), node);
            case "twin" when node is InvocationExpressionSyntax call:
                return Fixes.Await(call.WithExpression(call.Expression switch
                {
                    MemberAccessExpressionSyntax m => m.WithName(IdentifierName(m.Name.Identifier.ValueText + "Async")),
                    IdentifierNameSyntax i => IdentifierName(i.Identifier.ValueText + "Async"),
                    _ => call.Expression,
                }), node);
            case "offload":
                return Fixes.Await(GeventCall("RunBlockingAsync", ParenthesizedLambdaExpression(node.WithoutTrivia())), node);
            default:
                return null;
        }
    }

    private static InvocationExpressionSyntax GeventCall(string name, ExpressionSyntax argument) =>
        InvocationExpression(
            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Fixes.Type("GeventSharp.Gevent"), IdentifierName(name)),
            ArgumentList(SingletonSeparatedList(Argument(argument))));

    /// <summary>Milliseconds as Gevent.Sleep's argument: seconds for a literal (500 → 0.5), TimeSpan.FromMilliseconds otherwise.</summary>
    private static ExpressionSyntax SleepArgument(ExpressionSyntax milliseconds) =>
        milliseconds is LiteralExpressionSyntax { Token.Value: int ms }
            ? ParseExpression((ms / 1000.0).ToString("0.###", CultureInfo.InvariantCulture))
            : InvocationExpression(
                MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, Fixes.Type("System.TimeSpan"), IdentifierName("FromMilliseconds")),
                ArgumentList(SingletonSeparatedList(Argument(milliseconds.WithoutTrivia()))));
}
