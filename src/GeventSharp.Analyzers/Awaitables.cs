using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeventSharp.Analyzers;

/// <summary>Small questions about awaits.</summary>
internal static class Awaitables
{
    /// <summary>Task, ValueTask, an async stream, or anything with a GetAwaiter method.</summary>
    public static bool IsAwaitable(ITypeSymbol? type) =>
        type is not null
        && (type.Name is "Task" or "ValueTask" or "IAsyncEnumerable"
            || type.GetMembers("GetAwaiter").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 0));

    /// <summary><paramref name="e"/> without parentheses and a trailing <c>.ConfigureAwait(...)</c>.</summary>
    public static ExpressionSyntax Unwrap(ExpressionSyntax e)
    {
        while (true)
        {
            switch (e)
            {
                case ParenthesizedExpressionSyntax p:
                    e = p.Expression;
                    break;
                case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access }:
                    e = access.Expression;
                    break;
                default:
                    return e;
            }
        }
    }

    /// <summary>True if <paramref name="function"/> is declared <c>async</c> (so a fix may add an await).</summary>
    public static bool IsAsync(SyntaxNode? function) => function switch
    {
        AnonymousFunctionExpressionSyntax f => f.AsyncKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.AsyncKeyword),
        LocalFunctionStatementSyntax f => f.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.AsyncKeyword),
        MethodDeclarationSyntax m => m.Modifiers.Any(Microsoft.CodeAnalysis.CSharp.SyntaxKind.AsyncKeyword),
        CompilationUnitSyntax => true, // top-level statements may await
        _ => false,
    };
}
