using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using GeventSharp.Diagnostics;
using GeventSharp.Testing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;

namespace GeventSharp.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the docs (README.md, docs/*.md, docs/primitives/*.md,
/// samples/*/README.md, src/*/PACKAGE.md) compiles against the current public API.
/// </summary>
/// <remarks>
/// <para>Each block is compiled on its own, in memory, as the one file of a console program with top-level
/// statements (a library when it declares only usings and types), against the shared framework, the
/// GeventSharp, GeventSharp.Http, GeventSharp.Testing, GeventSharp.Diagnostics and GeventSharp.Hosting assemblies (with the Microsoft.Extensions.Hosting assemblies a hosted app references) and xunit's Assert. Its context
/// is what a reader's project has: the SDK's implicit usings, the global usings and aliases the package's
/// build props add (read from src/GeventSharp/build/GeventSharp.props: <c>GeventSharp</c>, and <c>Lock</c>,
/// <c>Semaphore</c>, <c>Timeout</c> as GeventSharp's; docs/primitives/README.md, "Name clashes with the
/// BCL"), <c>System.Net</c> and the library's other namespaces.
/// Errors fail the block's test case; warnings do not, except the GS analyzers' (docs/analyzers.md): a
/// block raises none, or exactly the rules named by a preceding <c>&lt;!-- analyzer: GS0001, GS0004 --&gt;</c>
/// line (a block that shows the mistake a rule catches).</para>
/// <para>A block preceded by the line <c>&lt;!-- not compiled: reason --&gt;</c> is not compiled; its test
/// case still appears, with the reason in its name.</para>
/// </remarks>
public class DocExamplesTests(ITestOutputHelper output)
{
    private const string SkipMarkerPrefix = "<!-- not compiled:";

    private static readonly string s_repo = FindRepoRoot();

    private static readonly Lazy<IReadOnlyDictionary<string, DocBlock>> s_blocks = new(() => FindBlocks().ToDictionary(b => b.Name));

    private static readonly string[] s_implicitUsings =
    [
        // What an SDK project with <ImplicitUsings>enable</ImplicitUsings> imports ...
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
        // ... plus System.Net (endpoints, addresses) and the library's other namespaces (the package's own come from its props).
        "System.Net", "GeventSharp.Net", "GeventSharp.Http", "GeventSharp.Testing", "GeventSharp.Diagnostics", "GeventSharp.Hosting",
    ];

    /// <summary>The package's global usings, as its build props declare them: <c>global using X;</c> or <c>global using A = X;</c>.</summary>
    private static readonly Lazy<string[]> s_packageUsings = new(() => System.Xml.Linq.XDocument
        .Load(Path.Combine(s_repo, "src", "GeventSharp", "build", "GeventSharp.props"))
        .Descendants()
        .Where(e => e.Name.LocalName == "Using")
        .Select(e => (string?)e.Attribute("Alias") is { } alias
            ? $"global using {alias} = {(string)e.Attribute("Include")!};"
            : $"global using {(string)e.Attribute("Include")!};")
        .ToArray());

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest, DocumentationMode.None);

    /// <summary>One compilation holding only the references, so each block's compilation reuses their symbols.</summary>
    private static readonly Lazy<CSharpCompilation> s_baseCompilation = new(() => CSharpCompilation.Create(
        "DocSnippet",
        references: References(),
        options: new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable)));

    public static TheoryData<BlockCase> Blocks()
    {
        var data = new TheoryData<BlockCase>();
        foreach (string name in s_blocks.Value.Keys)
        {
            data.Add(new BlockCase(name));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_Compiles(BlockCase block)
    {
        ArgumentNullException.ThrowIfNull(block);
        DocBlock doc = s_blocks.Value[block.Name];
        if (doc.SkipReason is not null)
        {
            return; // shown as "file:line (not compiled: reason)" in the test's name
        }

        CSharpCompilation compilation = Compile(doc);
        ImmutableArray<Diagnostic> diagnostics = compilation.GetDiagnostics();
        foreach (Diagnostic warning in diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning))
        {
            output.WriteLine(Describe(warning, doc)); // shown, not failed: unused variables and the like
        }

        Diagnostic[] errors = diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, $"The C# block at {doc.File}:{doc.FenceLine} does not compile:\n"
            + string.Join("\n", errors.Select(e => Describe(e, doc)))
            + "\n\n" + doc.Code);
    }

    /// <summary>The block as the one file of a program (or a library), with a reader's project's usings.</summary>
    private static CSharpCompilation Compile(DocBlock doc)
    {
        SyntaxTree snippet = CSharpSyntaxTree.ParseText(doc.Code, s_parseOptions, path: doc.File, encoding: Encoding.UTF8);
        var root = (CompilationUnitSyntax)snippet.GetRoot();
        var prelude = new StringBuilder();
        foreach (string ns in s_implicitUsings)
        {
            prelude.Append("global using ").Append(ns).AppendLine(";");
        }

        foreach (string line in s_packageUsings.Value)
        {
            prelude.AppendLine(line);
        }

        bool hasStatements = root.Members.OfType<GlobalStatementSyntax>().Any();
        CSharpCompilation compilation = s_baseCompilation.Value
            .WithOptions(s_baseCompilation.Value.Options.WithOutputKind(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText(prelude.ToString(), s_parseOptions, path: "GlobalUsings.g.cs", encoding: Encoding.UTF8), snippet);
        return compilation;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public async Task Block_RaisesOnlyTheAnalyzerRulesItShows(BlockCase block)
    {
        ArgumentNullException.ThrowIfNull(block);
        DocBlock doc = s_blocks.Value[block.Name];
        if (doc.SkipReason is not null)
        {
            return;
        }

        CSharpCompilation compilation = Compile(doc);
        ImmutableArray<Diagnostic> found = await compilation.WithAnalyzers(Analyzers.AnalyzerHarness.Analyzers).GetAnalyzerDiagnosticsAsync();
        string[] rules = [.. found.Select(d => d.Id).Distinct().Order(StringComparer.Ordinal)];
        Assert.True(
            rules.SequenceEqual(doc.ExpectedRules),
            $"The C# block at {doc.File}:{doc.FenceLine} raises [{string.Join(", ", rules)}], expected [{string.Join(", ", doc.ExpectedRules)}]"
            + " (a block showing a mistake names its rules in a preceding <!-- analyzer: GS000x --> line):\n"
            + string.Join("\n", found.Select(d => Describe(d, doc))));
    }

    [Fact]
    public void Blocks_AreFound_AndFewAreSkipped()
    {
        DocBlock[] blocks = [.. s_blocks.Value.Values];
        Assert.True(blocks.Length >= 40, $"only {blocks.Length} C# blocks found under {s_repo}");
        int skipped = blocks.Count(b => b.SkipReason is not null);
        Assert.True(skipped * 10 < blocks.Length, $"{skipped} of {blocks.Length} C# blocks are marked 'not compiled': keep that under 10%");
    }

    /// <summary>"docs/x.md:12:5: error CS0103: ..." with the line in the Markdown file.</summary>
    private static string Describe(Diagnostic d, DocBlock doc)
    {
        if (d.Location.SourceTree?.FilePath != doc.File)
        {
            return d.ToString();
        }

        LinePosition start = d.Location.GetLineSpan().StartLinePosition;
        return $"{doc.File}:{doc.FenceLine + 1 + start.Line}:{doc.Indent + start.Character + 1}: {d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    private static IEnumerable<string> DocFiles()
    {
        IEnumerable<string> In(string dir, string pattern) =>
            Directory.Exists(Path.Combine(s_repo, dir)) ? Directory.GetFiles(Path.Combine(s_repo, dir), pattern) : [];
        IEnumerable<string> InEach(string dir, string file) =>
            Directory.GetDirectories(Path.Combine(s_repo, dir)).Select(d => Path.Combine(d, file)).Where(File.Exists);

        return In(".", "README.md")
            .Concat(In("docs", "*.md"))
            .Concat(In(Path.Combine("docs", "primitives"), "*.md"))
            .Concat(InEach("samples", "README.md"))
            .Concat(InEach("src", "PACKAGE.md"))
            .Select(f => Path.GetRelativePath(s_repo, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
    }

    private static IEnumerable<DocBlock> FindBlocks()
    {
        var open = new Regex(@"^(?<indent>[ \t]*)```(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase);
        var close = new Regex(@"^[ \t]*```\s*$");
        var skip = new Regex(@"^\s*<!--\s*not compiled:\s*(?<reason>.*?)\s*-->\s*$");
        var rules = new Regex(@"^\s*<!--\s*analyzer:\s*(?<rules>GS\d{4}(\s*,\s*GS\d{4})*)\s*-->\s*$");
        foreach (string file in DocFiles())
        {
            string[] lines = File.ReadAllLines(Path.Combine(s_repo, file));
            for (int i = 0; i < lines.Length; i++)
            {
                Match m = open.Match(lines[i]);
                if (!m.Success)
                {
                    continue;
                }

                int indent = m.Groups["indent"].Length;
                int end = i + 1;
                while (end < lines.Length && !close.IsMatch(lines[end]))
                {
                    end++;
                }

                if (end == lines.Length)
                {
                    throw new InvalidOperationException($"{file}:{i + 1}: the C# block is never closed");
                }

                string code = string.Join("\n", lines[(i + 1)..end].Select(l => l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart()));
                Match s = i > 0 ? skip.Match(lines[i - 1]) : Match.Empty;
                if (!s.Success && i > 0 && lines[i - 1].TrimStart().StartsWith(SkipMarkerPrefix, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{file}:{i}: malformed skip marker; write <!-- not compiled: reason -->");
                }

                string? reason = s.Success ? s.Groups["reason"].Value : null;
                if (reason is { Length: 0 })
                {
                    throw new InvalidOperationException($"{file}:{i}: a 'not compiled' marker needs a reason");
                }

                Match r = i > 0 ? rules.Match(lines[i - 1]) : Match.Empty;
                string[] expected = r.Success ? [.. r.Groups["rules"].Value.Split(',').Select(x => x.Trim()).Order(StringComparer.Ordinal)] : [];
                yield return new DocBlock(file, i + 1, indent, code, reason, expected);
                i = end;
            }
        }
    }

    private static ImmutableArray<MetadataReference> References()
    {
        // The shared framework's assemblies (the trusted platform assemblies that live in the runtime's
        // directory: the test's own dependencies and the samples are left out, as a reader's project
        // would not see them), then the library's packages and xunit's Assert for docs/testing.md.
        string runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        IEnumerable<string> framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal));
        IEnumerable<string> ours = new[]
            {
                typeof(Gevent), typeof(GeventSharp.Http.HttpServer), typeof(HubHarness), typeof(HubStacks), typeof(Assert),
                // GeventSharp.Hosting and what a hosted app references with Microsoft.Extensions.Hosting (docs/hosting.md).
                typeof(GeventSharp.Hosting.GeventServiceCollectionExtensions), typeof(Microsoft.Extensions.Hosting.Host),
                typeof(Microsoft.Extensions.Hosting.IHost), typeof(Microsoft.Extensions.DependencyInjection.IServiceCollection),
                typeof(Microsoft.Extensions.DependencyInjection.ServiceProvider), typeof(Microsoft.Extensions.Options.IOptions<>),
                typeof(Microsoft.Extensions.DependencyInjection.OptionsConfigurationServiceCollectionExtensions),
                typeof(Microsoft.Extensions.Configuration.IConfiguration), typeof(Microsoft.Extensions.Configuration.ConfigurationBinder),
                typeof(Microsoft.Extensions.Logging.ILogger), typeof(Microsoft.Extensions.Logging.ILoggingBuilder),
                // docs/logging.md: a logger factory with the console provider, as a program without the host makes one.
                typeof(Microsoft.Extensions.Logging.LoggerFactory), typeof(Microsoft.Extensions.Logging.ConsoleLoggerExtensions),
                typeof(Microsoft.Extensions.Diagnostics.Metrics.IMetricsBuilder),
            }
            .Select(t => t.Assembly.Location);
        return [.. framework.Concat(ours).Distinct().Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GeventSharp.slnx")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("repository root (GeventSharp.slnx) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A block's test case, shown (untruncated, unlike a string argument) as "file:line" or "file:line (not compiled: reason)".</summary>
    public sealed class BlockCase : IXunitSerializable
    {
        public BlockCase()
        {
        }

        public BlockCase(string name) => Name = name;

        public string Name { get; private set; } = "";

        public void Deserialize(IXunitSerializationInfo info)
        {
            ArgumentNullException.ThrowIfNull(info);
            Name = info.GetValue<string>(nameof(Name));
        }

        public void Serialize(IXunitSerializationInfo info)
        {
            ArgumentNullException.ThrowIfNull(info);
            info.AddValue(nameof(Name), Name);
        }

        public override string ToString() => Name;
    }

    private sealed record DocBlock(string File, int FenceLine, int Indent, string Code, string? SkipReason, string[] ExpectedRules)
    {
        public string Name => SkipReason is null ? $"{File}:{FenceLine}" : $"{File}:{FenceLine} (not compiled: {SkipReason})";
    }
}
