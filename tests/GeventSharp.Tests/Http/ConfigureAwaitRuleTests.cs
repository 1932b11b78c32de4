using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace GeventSharp.Tests.Http;

/// <summary>
/// The rule that keeps GeventSharp.Http's own code on the hub, checked on its sources: every
/// <c>await x.ConfigureAwait(false)</c> awaits a method of the assembly that is either
/// <c>async</c> with <see cref="System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder"/>,
/// or not async and returns only such calls or completed values.
/// </summary>
/// <remarks>
/// Why: such an await resumes inline when the awaited operation completes. A pooled
/// <c>ValueTask</c> completes on the hub and runs the continuation there. A plain
/// <c>async ValueTask</c> that completes asynchronously is a <see cref="Task"/>, and a task does
/// not inline a <c>ConfigureAwait(false)</c> continuation under the greenlet's synchronization
/// context: it queues it to the thread pool, and the connection's code goes on off the hub. An
/// operation from outside the assembly (a stream's) may complete anywhere, so it is awaited with
/// the context. See the remarks of HttpConnection.
/// </remarks>
public class ConfigureAwaitRuleTests
{
    private static readonly string[] s_implicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    [Fact]
    public void EveryConfigureAwaitFalse_AwaitsAPooledMethodOfTheAssembly()
    {
        string src = Path.Combine(RepoRoot(), "src", "GeventSharp.Http");
        string[] files = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.True(files.Length >= 10, $"only {files.Length} sources found under {src}");

        (int awaits, List<string> violations) = Check(files.Select(f => (Path.GetRelativePath(src, f), File.ReadAllText(f))));

        Assert.True(awaits >= 20, $"only {awaits} ConfigureAwait(false) awaits found: is the check still looking at the right code?");
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void Check_FindsAPlainAsyncMethod_AndAnOutsideOperation_AwaitedWithoutTheContext()
    {
        const string code = """
            using System.Runtime.CompilerServices;
            class C
            {
                private readonly Stream _s = Stream.Null;
                async ValueTask Plain() => await Task.Yield();
                [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
                async ValueTask Pooled() => await Task.Yield();
                ValueTask Wrapper(bool b) => b ? default : Pooled();
                ValueTask LeakyWrapper() => _s.WriteAsync(new byte[1]);
                [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
                async ValueTask Caller()
                {
                    await Pooled().ConfigureAwait(false);
                    await Wrapper(true).ConfigureAwait(false);
                    await Plain().ConfigureAwait(false);
                    await LeakyWrapper().ConfigureAwait(false);
                    await _s.FlushAsync().ConfigureAwait(false);
                    await Plain();
                }
            }
            """;

        (int awaits, List<string> violations) = Check([("C.cs", code)]);

        Assert.Equal(5, awaits);
        Assert.Collection(
            violations,
            v => Assert.Contains("Plain()", v, StringComparison.Ordinal),
            v => Assert.Contains("LeakyWrapper()", v, StringComparison.Ordinal),
            v => Assert.Contains("_s.FlushAsync()", v, StringComparison.Ordinal));
    }

    private static (int Awaits, List<string> Violations) Check(IEnumerable<(string Path, string Code)> sources)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        string usings = string.Concat(s_implicitUsings.Select(u => $"global using {u};\n"));
        List<SyntaxTree> trees = [.. sources.Select(s => CSharpSyntaxTree.ParseText(s.Code, parse, path: s.Path))];
        CSharpCompilation compilation = Architecture.LoggingGenerator.Run(
            CSharpCompilation.Create(
                "RuleCheck",
                [.. trees, CSharpSyntaxTree.ParseText(usings, parse)],
                References(),
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true)),
            parse);
        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "the sources do not compile for the check:\n" + string.Join("\n", errors.Take(20)));

        var checker = new RuleChecker(compilation);
        int awaits = 0;
        var violations = new List<string>();
        foreach (SyntaxTree tree in trees)
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (AwaitExpressionSyntax await in tree.GetRoot().DescendantNodes().OfType<AwaitExpressionSyntax>())
            {
                if (await.Expression is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "ConfigureAwait" } access } call
                    && call.ArgumentList.Arguments is [{ Expression: LiteralExpressionSyntax literal }]
                    && literal.IsKind(SyntaxKind.FalseLiteralExpression))
                {
                    awaits++;
                    if (checker.WhyUnsafe(access.Expression, model) is { } why)
                    {
                        FileLinePositionSpan at = await.GetLocation().GetLineSpan();
                        violations.Add($"{at.Path}:{at.StartLinePosition.Line + 1}: await {access.Expression}.ConfigureAwait(false): {why}");
                    }
                }
            }
        }

        return (awaits, violations);
    }

    private static MetadataReference[] References()
    {
        string runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        IEnumerable<string> framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal));
        return [.. framework.Append(typeof(Gevent).Assembly.Location).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)), Architecture.LoggingGenerator.Reference];
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GeventSharp.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("GeventSharp.slnx not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Decides, method by method (memoized, cycles assumed safe), whether what an expression returns completes on the hub.</summary>
    private sealed class RuleChecker(CSharpCompilation compilation)
    {
        private readonly Dictionary<IMethodSymbol, string?> _methods = new(SymbolEqualityComparer.Default);

        /// <summary>Null if the awaitable <paramref name="e"/> resumes a <c>ConfigureAwait(false)</c> await on the hub; otherwise why not.</summary>
        public string? WhyUnsafe(ExpressionSyntax e, SemanticModel model)
        {
            switch (e)
            {
                case ParenthesizedExpressionSyntax p:
                    return WhyUnsafe(p.Expression, model);
                case ConditionalExpressionSyntax c:
                    return WhyUnsafe(c.WhenTrue, model) ?? WhyUnsafe(c.WhenFalse, model);
                case LiteralExpressionSyntax l when l.IsKind(SyntaxKind.DefaultLiteralExpression):
                case DefaultExpressionSyntax:
                    return null; // already complete
                case BaseObjectCreationExpressionSyntax:
                    // new ValueTask<T>(result) is complete; over a Task or an IValueTaskSource it is not.
                    return model.GetTypeInfo(e).Type?.Name == "ValueTask"
                        && ((BaseObjectCreationExpressionSyntax)e).ArgumentList?.Arguments.All(a => model.GetTypeInfo(a.Expression).Type?.Name is not ("Task" or "IValueTaskSource")) != false
                        ? null
                        : $"{e} is not a completed ValueTask";
                case InvocationExpressionSyntax:
                    if (model.GetSymbolInfo(e).Symbol is not IMethodSymbol method)
                    {
                        return $"{e} does not bind to a method";
                    }

                    method = method.ReducedFrom ?? method.OriginalDefinition;
                    return method.DeclaringSyntaxReferences.IsEmpty
                        ? $"{method.ContainingType.Name}.{method.Name} is not this assembly's: await it without ConfigureAwait(false)"
                        : WhyUnsafe(method);
                default:
                    return $"{e} is not a call of a method of this assembly";
            }
        }

        private string? WhyUnsafe(IMethodSymbol method)
        {
            if (_methods.TryGetValue(method, out string? known))
            {
                return known;
            }

            _methods[method] = null; // a cycle is judged by its other paths
            return _methods[method] = Judge(method);
        }

        private string? Judge(IMethodSymbol method)
        {
            string name = $"{method.ContainingType.Name}.{method.Name}";
            if (method.IsAsync)
            {
                bool pooled = method.GetAttributes().Any(a => a.AttributeClass?.Name == "AsyncMethodBuilderAttribute"
                    && a.ConstructorArguments is [{ Value: INamedTypeSymbol builder }]
                    && builder.Name == "PoolingAsyncValueTaskMethodBuilder");
                return pooled ? null : $"{name} is async without [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]";
            }

            SyntaxNode declaration = method.DeclaringSyntaxReferences[0].GetSyntax();
            SemanticModel model = compilation.GetSemanticModel(declaration.SyntaxTree);
            IEnumerable<ExpressionSyntax?> returned = declaration switch
            {
                BaseMethodDeclarationSyntax { ExpressionBody: { } body } => [body.Expression],
                LocalFunctionStatementSyntax { ExpressionBody: { } body } => [body.Expression],
                _ => declaration.DescendantNodes(n => n == declaration || n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                    .OfType<ReturnStatementSyntax>().Select(r => r.Expression),
            };
            foreach (ExpressionSyntax? r in returned)
            {
                if (r is not null && WhyUnsafe(r, model) is { } why)
                {
                    return $"{name} returns {r}, and {why}";
                }
            }

            return null;
        }
    }
}
