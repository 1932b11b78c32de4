using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeventSharp.Analyzers;

/// <summary>Where a piece of code runs, as far as the analyzers can prove it.</summary>
internal enum CodeKind
{
    /// <summary>Not known to run on a hub or off it: the GS rules stay silent.</summary>
    Other,

    /// <summary>Runs on a hub: a greenlet body, a hub callback, or code that waits on GeventSharp.</summary>
    Greenlet,

    /// <summary>Runs on another thread: the body of a delegate given to Task.Run, a Thread, the thread pool, Gevent.RunBlockingAsync.</summary>
    OffHub,
}

/// <summary>
/// The GeventSharp symbols of one compilation, and the decision "is this greenlet code?"
/// (docs/analyzers.md, "What counts as greenlet code"), cached per function.
/// </summary>
internal sealed class GreenletCode
{
    private static readonly HashSet<string> s_libraryAssemblies = ["GeventSharp", "GeventSharp.Http", "GeventSharp.Testing", "GeventSharp.Diagnostics"];

    private readonly ConcurrentDictionary<SyntaxNode, (CodeKind Kind, string? Where)> _functions = new();

    private GreenletCode(Compilation compilation, INamedTypeSymbol greenlet, INamedTypeSymbol greenletExit, INamedTypeSymbol timeout)
    {
        Greenlet = greenlet;
        GreenletExit = greenletExit;
        Timeout = timeout;
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
    }

    public INamedTypeSymbol Greenlet { get; }

    public INamedTypeSymbol GreenletExit { get; }

    public INamedTypeSymbol Timeout { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    /// <summary>The symbols, or null when the compilation does not reference GeventSharp (every GS rule is then silent).</summary>
    public static GreenletCode? Create(Compilation compilation) =>
        compilation.GetTypeByMetadataName("GeventSharp.Greenlet") is { } greenlet
        && compilation.GetTypeByMetadataName("GeventSharp.GreenletExit") is { } exit
        && compilation.GetTypeByMetadataName("GeventSharp.Timeout") is { } timeout
            ? new GreenletCode(compilation, greenlet, exit, timeout)
            : null;

    /// <summary>True for a member of one of GeventSharp's own assemblies.</summary>
    public static bool IsLibrary(ISymbol? symbol) => symbol?.ContainingAssembly is { } a && s_libraryAssemblies.Contains(a.Name);

    /// <summary>
    /// A hub-only API: a GeventSharp method that returns an awaitable (every wait), spawns, starts
    /// or kills, or a greenlet's constructor.
    /// </summary>
    public bool IsHubOnly(IMethodSymbol method)
    {
        if (!IsLibrary(method) || IsAnyThread(method))
        {
            return false;
        }

        if (method.MethodKind == MethodKind.Constructor)
        {
            return DerivesFrom(method.ContainingType, Greenlet);
        }

        return Awaitables.IsAwaitable(method.ReturnType)
            || method.Name.StartsWith("Spawn", System.StringComparison.Ordinal)
            || method.Name is "Start" or "StartNew" or "Kill" or "KillAll";
    }

    /// <summary>
    /// A member of a GeventSharp type made for plain threads (<c>HubGroup</c>: run, stop, wait for
    /// the hubs from <c>Main</c>): calling or awaiting it says nothing about being on a hub.
    /// </summary>
    private static bool IsAnyThread(ISymbol? symbol) =>
        symbol?.ContainingType?.ToDisplayString() == "GeventSharp.Net.HubGroup";

    /// <summary>What kind of code the innermost function around <paramref name="node"/> is.</summary>
    public CodeKind KindAt(SyntaxNode node, SemanticModel model) => Classify(EnclosingFunction(node), model).Kind;

    /// <summary>As <see cref="KindAt"/>, with where off-hub code runs ("a thread-pool thread (Task.Run)").</summary>
    public (CodeKind Kind, string? Where) ClassifyAt(SyntaxNode node, SemanticModel model) => Classify(EnclosingFunction(node), model);

    /// <summary>The innermost lambda, anonymous method, local function, method, accessor or top-level program around <paramref name="node"/>.</summary>
    public static SyntaxNode? EnclosingFunction(SyntaxNode node) =>
        node.AncestorsAndSelf().FirstOrDefault(IsFunction);

    public static bool IsFunction(SyntaxNode n) =>
        n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or BaseMethodDeclarationSyntax
            or AccessorDeclarationSyntax or PropertyDeclarationSyntax or IndexerDeclarationSyntax or CompilationUnitSyntax;

    /// <summary>The nodes of <paramref name="function"/>'s own body: not those of the functions nested in it.</summary>
    public static IEnumerable<SyntaxNode> OwnNodes(SyntaxNode root) =>
        root.DescendantNodes(n => n == root || !(n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax));

    private (CodeKind Kind, string? Where) Classify(SyntaxNode? function, SemanticModel model)
    {
        if (function is null)
        {
            return (CodeKind.Other, null);
        }

        if (_functions.TryGetValue(function, out var known))
        {
            return known;
        }

        var kind = Decide(function, model);
        _functions.TryAdd(function, kind);
        return kind;
    }

    private (CodeKind Kind, string? Where) Decide(SyntaxNode function, SemanticModel model)
    {
        if (function is AnonymousFunctionExpressionSyntax lambda && CallTakingDelegate(lambda) is { } call
            && (model.GetSymbolInfo(call).Symbol ?? model.GetSymbolInfo(call).CandidateSymbols.FirstOrDefault()) is IMethodSymbol target)
        {
            if (OffHubPlace(target) is { } where)
            {
                return (CodeKind.OffHub, where);
            }

            if (IsLibrary(target))
            {
                return (CodeKind.Greenlet, null); // a greenlet body, a hub callback (Post, Link), a timeout's function
            }

            if (RunsInline(target))
            {
                return Classify(EnclosingFunction(call), model);
            }
        }

        if (WaitsOnTheHub(function, model))
        {
            return (CodeKind.Greenlet, null);
        }

        if (function is LocalFunctionStatementSyntax && function.Parent is not null)
        {
            return Classify(EnclosingFunction(function.Parent), model); // called where it is declared, as a rule
        }

        return (CodeKind.Other, null);
    }

    /// <summary>Awaits a GeventSharp awaitable, or calls a hub-only API, in its own body.</summary>
    private bool WaitsOnTheHub(SyntaxNode function, SemanticModel model)
    {
        foreach (SyntaxNode n in OwnNodes(function))
        {
            switch (n)
            {
                case AwaitExpressionSyntax awaitExpression:
                    ExpressionSyntax awaited = Awaitables.Unwrap(awaitExpression.Expression);
                    ISymbol? awaitedSymbol = model.GetSymbolInfo(awaited).Symbol;
                    if (IsLibrary(model.GetTypeInfo(awaited).Type) || (IsLibrary(awaitedSymbol) && !IsAnyThread(awaitedSymbol)))
                    {
                        return true;
                    }

                    break;
                case InvocationExpressionSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax
                    when model.GetSymbolInfo(n).Symbol is IMethodSymbol m && IsHubOnly(m):
                    return true;
            }
        }

        return false;
    }

    /// <summary>The call a lambda is an argument of (through parentheses and casts), if any.</summary>
    private static ExpressionSyntax? CallTakingDelegate(SyntaxNode lambda)
    {
        SyntaxNode node = lambda;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            node = node.Parent;
        }

        return node.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: ExpressionSyntax call } }
            && call is InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax
                ? call
                : null;
    }

    /// <summary>Where a delegate given to <paramref name="target"/> runs, if that is provably another thread.</summary>
    private static string? OffHubPlace(IMethodSymbol target)
    {
        string type = target.ContainingType.ToDisplayString();
        return (type, target.Name) switch
        {
            ("System.Threading.Tasks.Task", "Run") => "a thread-pool thread (Task.Run)",
            ("System.Threading.Tasks.TaskFactory", "StartNew") or ("System.Threading.Tasks.TaskFactory<TResult>", "StartNew") => "a thread-pool thread (TaskFactory.StartNew)",
            ("System.Threading.ThreadPool", "QueueUserWorkItem" or "UnsafeQueueUserWorkItem") => "a thread-pool thread (ThreadPool)",
            ("System.Threading.Thread", ".ctor") => "a thread of its own (new Thread)",
            ("System.Threading.Timer", ".ctor") => "a thread-pool thread (Timer)",
            ("System.Threading.Tasks.Parallel", _) => "Parallel's worker threads",
            ("GeventSharp.Gevent", "RunBlockingAsync") => "the hub's thread pool (Gevent.RunBlockingAsync)",
            ("GeventSharp.HubThreadPool", "RunAsync") => "the hub's thread pool (HubThreadPool.RunAsync)",
            _ => null,
        };
    }

    /// <summary>LINQ to objects and ForEach run a delegate on the calling thread, before they return.</summary>
    private static bool RunsInline(IMethodSymbol target) =>
        target.ContainingType.ToDisplayString() is "System.Linq.Enumerable" or "System.Array"
        || (target.Name == "ForEach" && target.ContainingType.OriginalDefinition.ToDisplayString() == "System.Collections.Generic.List<T>");

    private static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType))
            {
                return true;
            }
        }

        return false;
    }
}
