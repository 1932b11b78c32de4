using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace GeventSharp.Tests.Architecture;

/// <summary>
/// Dependencies point down only, checked by the compiler's own binding rather than by names.
/// </summary>
/// <remarks>
/// <para>Inside <c>src/GeventSharp</c> the layers are folders, lowest first: <c>Core</c> (hub,
/// greenlets, time, the waiting layer and the hub's poller), <c>Primitives</c>, <c>Net</c> (sockets
/// and their interop), <c>Http</c> while it lives there. The sources are compiled with Roslyn, and
/// every symbol that a file binds to (named, inferred through <c>var</c> or a lambda, reached
/// through an operator, a <c>foreach</c>, an <c>await</c> or a <c>cref</c>) must be declared in a file of
/// the same layer or a lower one. Core and Primitives share a namespace and <c>LibC</c> is one
/// partial class across Core and Net, so names alone cannot tell; declarations can.</para>
/// <para>Between projects: <c>GeventSharp</c> lets only GeventSharp.Testing and the test and
/// benchmark assemblies see its internals (every other src project, GeventSharp.Http included,
/// gets the public API only, so the compiler holds that wall), and no src project references a
/// project of a higher layer.</para>
/// </remarks>
public class LayerTests
{
    /// <summary>The folders of src/GeventSharp, lowest layer first. A new folder must be placed here.</summary>
    private static readonly string[] s_folderLayers = ["Core", "Primitives", "Net", "Http"];

    /// <summary>The src projects, lowest layer first; projects of one layer may not reference each other. A new project must be placed here.</summary>
    private static readonly string[][] s_projectLayers =
    [
        ["GeventSharp.Analyzers"],
        ["GeventSharp.Analyzers.CodeFixes"],
        ["GeventSharp"],
        ["GeventSharp.Http"],
        ["GeventSharp.Testing", "GeventSharp.Diagnostics", "GeventSharp.Hosting"],
    ];

    private static readonly string s_repo = RepoRoot();

    private static readonly Lazy<CSharpCompilation> s_compilation = new(CompileLibrary);

    [Fact]
    public void TheLibrary_CompilesForTheCheck()
    {
        // With no errors, every reference the other checks look at was bound for real.
        var errors = s_compilation.Value.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(errors.Count == 0, "src/GeventSharp does not compile for the layer check:\n" + string.Join("\n", errors.Take(20)));
    }

    [Fact]
    public void EveryFile_IsInALayerFolder()
    {
        var unplaced = s_compilation.Value.SyntaxTrees
            .Where(t => IsLibrarySource(t.FilePath))
            .Select(t => RelativePath(t.FilePath))
            .Where(p => LayerOf(p) < 0)
            .ToList();
        Assert.True(unplaced.Count == 0,
            $"these files are in no layer folder; put them in one, or add their folder to the layer order ({string.Join(" < ", s_folderLayers)}) in LayerTests:\n" + string.Join("\n", unplaced));
    }

    [Fact]
    public void NoFile_UsesASymbolOfAHigherLayer()
    {
        CSharpCompilation compilation = s_compilation.Value;
        var offences = new SortedSet<string>(StringComparer.Ordinal);
        foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(t => IsLibrarySource(t.FilePath)))
        {
            string file = RelativePath(tree.FilePath);
            int layer = LayerOf(file);
            if (layer < 0)
            {
                continue; // reported by EveryFile_IsInALayerFolder
            }

            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes(descendIntoTrivia: true))
            {
                foreach (ISymbol used in BoundSymbols(model, node).SelectMany(Expand))
                {
                    (int usedLayer, string where) = DeclaredLayer(used);
                    if (usedLayer > layer)
                    {
                        int line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                        offences.Add($"{file}:{line} uses {used.ToDisplayString()} (declared in {where}): {s_folderLayers[layer]} may not depend on {s_folderLayers[usedLayer]}");
                    }
                }
            }
        }

        Assert.True(offences.Count == 0, $"{offences.Count} upward reference(s), layers {string.Join(" < ", s_folderLayers)}:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void OnlyTestsBenchmarksAndTesting_SeeTheLibrarysInternals()
    {
        var friends = typeof(Gevent).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName.Split(',')[0].Trim())
            .ToList();
        var srcProjects = ProjectsUnder("src").Select(p => p.Name).ToHashSet();
        var testAndBench = ProjectsUnder("tests").Concat(ProjectsUnder("bench")).Select(p => p.Name).ToHashSet();

        var wrong = new List<string>();
        foreach (string friend in friends)
        {
            if (friend == "GeventSharp.Testing")
            {
                continue; // the virtual clock plugs into the hub's internal autojump interface
            }

            if (srcProjects.Contains(friend))
            {
                wrong.Add($"{friend} is a src project: it must use GeventSharp's public API only (remove its InternalsVisibleTo)");
            }
            else if (!testAndBench.Contains(friend))
            {
                wrong.Add($"{friend} is neither a test nor a benchmark project under tests/ or bench/");
            }
        }

        Assert.True(wrong.Count == 0, "GeventSharp's InternalsVisibleTo list:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void NoProject_ReferencesAProjectOfAHigherOrTheSameLayer()
    {
        var wrong = new List<string>();
        foreach ((string name, string path) in ProjectsUnder("src"))
        {
            int layer = ProjectLayer(name);
            if (layer < 0)
            {
                wrong.Add($"src project {name} is not placed in the project layers of LayerTests ({string.Join(" < ", s_projectLayers.Select(l => string.Join("/", l)))})");
                continue;
            }

            foreach (string reference in ProjectReferences(path))
            {
                int target = ProjectLayer(reference);
                if (target >= layer)
                {
                    wrong.Add($"{RelativePath(path)} references {reference}, a project of {(target == layer ? "the same" : "a higher")} layer");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>Everything the compiler bound <paramref name="node"/> to: its symbol (or candidates), and the types of an expression.</summary>
    private static IEnumerable<ISymbol> BoundSymbols(SemanticModel model, SyntaxNode node)
    {
        SymbolInfo info = model.GetSymbolInfo(node);
        if (info.Symbol is not null)
        {
            yield return info.Symbol;
        }

        foreach (ISymbol candidate in info.CandidateSymbols)
        {
            yield return candidate;
        }

        if (node is Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax)
        {
            Microsoft.CodeAnalysis.TypeInfo type = model.GetTypeInfo(node);
            if (type.Type is not null)
            {
                yield return type.Type;
            }

            if (type.ConvertedType is not null)
            {
                yield return type.ConvertedType;
            }
        }

        if (node is Microsoft.CodeAnalysis.CSharp.Syntax.CommonForEachStatementSyntax loop)
        {
            ForEachStatementInfo each = model.GetForEachStatementInfo(loop);
            foreach (ISymbol? s in new ISymbol?[] { each.GetEnumeratorMethod, each.MoveNextMethod, each.CurrentProperty, each.ElementType })
            {
                if (s is not null)
                {
                    yield return s;
                }
            }
        }

        if (node is Microsoft.CodeAnalysis.CSharp.Syntax.AwaitExpressionSyntax awaited)
        {
            AwaitExpressionInfo await = model.GetAwaitExpressionInfo(awaited);
            foreach (ISymbol? s in new ISymbol?[] { await.GetAwaiterMethod, await.GetResultMethod, await.IsCompletedProperty })
            {
                if (s is not null)
                {
                    yield return s;
                }
            }
        }
    }

    /// <summary>The symbol as declared, and the type arguments and element types it was used with.</summary>
    private static IEnumerable<ISymbol> Expand(ISymbol symbol)
    {
        switch (symbol)
        {
            case IArrayTypeSymbol array:
                foreach (ISymbol s in Expand(array.ElementType))
                {
                    yield return s;
                }

                yield break;
            case IPointerTypeSymbol pointer:
                foreach (ISymbol s in Expand(pointer.PointedAtType))
                {
                    yield return s;
                }

                yield break;
            case INamedTypeSymbol named:
                foreach (ISymbol s in named.TypeArguments.SelectMany(Expand))
                {
                    yield return s;
                }

                break;
            case IMethodSymbol method:
                foreach (ISymbol s in method.TypeArguments.SelectMany(Expand))
                {
                    yield return s;
                }

                if (method.ReducedFrom is { } extension)
                {
                    yield return extension.OriginalDefinition;
                }

                break;
        }

        yield return symbol.OriginalDefinition;
    }

    /// <summary>The lowest layer among the symbol's declarations (a partial type or method may span files); -1 outside src/GeventSharp.</summary>
    private static (int Layer, string Where) DeclaredLayer(ISymbol symbol)
    {
        int best = -1;
        string where = "";
        foreach (SyntaxReference declaration in symbol.DeclaringSyntaxReferences)
        {
            string file = RelativePath(declaration.SyntaxTree.FilePath);
            int layer = LayerOf(file);
            if (layer >= 0 && (best < 0 || layer < best))
            {
                best = layer;
                int line = declaration.SyntaxTree.GetLineSpan(declaration.Span).StartLinePosition.Line + 1;
                where = $"{file}:{line}";
            }
        }

        return (best, where);
    }

    private static int LayerOf(string relativePath)
    {
        int slash = relativePath.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? -1 : Array.IndexOf(s_folderLayers, relativePath[..slash]);
    }

    private static int ProjectLayer(string project)
    {
        for (int i = 0; i < s_projectLayers.Length; i++)
        {
            if (s_projectLayers[i].Contains(project))
            {
                return i;
            }
        }

        return -1;
    }

    private static string LibraryDir => Path.Combine(s_repo, "src", "GeventSharp");

    /// <summary>A file of src/GeventSharp, as opposed to the implicit usings and the generators' output.</summary>
    private static bool IsLibrarySource(string path) => path.StartsWith(LibraryDir + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Paths relative to src/GeventSharp for its sources, to the repository otherwise; always with '/'.</summary>
    private static string RelativePath(string path)
    {
        string full = Path.GetFullPath(path);
        string root = full.StartsWith(LibraryDir + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? LibraryDir : s_repo;
        return Path.GetRelativePath(root, full).Replace('\\', '/');
    }

    private static CSharpCompilation CompileLibrary()
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Parse);
        var trees = Directory.EnumerateFiles(LibraryDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f))
            .ToList();

        // What the SDK's ImplicitUsings generates for a library (a file in obj/, which is not read here).
        trees.Add(CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
            "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;",
            parse,
            Path.Combine(s_repo, "obj", "ImplicitUsings.g.cs")));

        string runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(LoggingGenerator.Reference); // the library's one package

        var compilation = CSharpCompilation.Create(
            "GeventSharp",
            trees,
            framework,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

        // The [LibraryImport] and [LoggerMessage] methods are partial: without their generated halves the compiler drops
        // every call to them, arguments included, and the code around them does not bind as built.
        CSharpGeneratorDriver.Create(LibraryImportGenerators().Concat(LoggingGenerator.Generators()).ToArray())
            .WithUpdatedParseOptions(parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation generated, out _);
        return (CSharpCompilation)generated;
    }

    /// <summary>The SDK's LibraryImport generator, from the targeting pack of the runtime running the tests.</summary>
    private static IEnumerable<ISourceGenerator> LibraryImportGenerators()
    {
        string runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        string major = Environment.Version.Major + ".";
        string? dll = Directory.EnumerateDirectories(Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref"))
            .Where(d => Path.GetFileName(d).StartsWith(major, StringComparison.Ordinal))
            .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out Version? v) ? v : new Version())
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "Microsoft.Interop.LibraryImportGenerator.dll"))
            .FirstOrDefault(File.Exists);
        Assert.True(dll is not null, $"the LibraryImport generator was not found under {dotnetRoot}/packs/Microsoft.NETCore.App.Ref");
        return new AnalyzerFileReference(dll!, new LoggingGenerator.Loader()).GetGenerators(LanguageNames.CSharp);
    }

    private static bool IsBuildOutput(string file)
    {
        string relative = Path.GetRelativePath(LibraryDir, file).Replace('\\', '/');
        return relative.StartsWith("obj/", StringComparison.Ordinal) || relative.StartsWith("bin/", StringComparison.Ordinal);
    }

    private static IEnumerable<(string Name, string Path)> ProjectsUnder(string folder)
        => Directory.EnumerateFiles(Path.Combine(s_repo, folder), "*.csproj", SearchOption.AllDirectories)
            .Select(p => (AssemblyName(p), p));

    private static string AssemblyName(string csproj)
        => XDocument.Load(csproj).Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(csproj);

    private static IEnumerable<string> ProjectReferences(string csproj)
        => XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include"))
            .OfType<string>()
            .Select(include => AssemblyName(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, include.Replace('\\', '/')))));

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
}
