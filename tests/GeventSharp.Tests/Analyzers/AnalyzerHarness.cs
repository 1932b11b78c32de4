using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using GeventSharp.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace GeventSharp.Tests.Analyzers;

/// <summary>
/// Runs the GS analyzers and code fixes on a source in memory, against the shared framework and
/// GeventSharp, with a project's implicit usings. Expected diagnostics are marked in the source as
/// <c>{|GS0001:code|}</c>: the test fails on any missing, extra or misplaced one.
/// </summary>
internal static partial class AnalyzerHarness
{
    private static readonly string[] s_implicitUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly Lazy<MetadataReference[]> s_references = new(() =>
    {
        string runtimeDir = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        IEnumerable<string> framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), runtimeDir, StringComparison.Ordinal));
        return [.. framework.Append(typeof(Gevent).Assembly.Location).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    });

    /// <summary>Every GS analyzer of the assembly.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } =
    [
        new BlockingCallAnalyzer(), new ConfigureAwaitAnalyzer(), new CatchAllAnalyzer(), new MissingTokenAnalyzer(), new OffHubAnalyzer(),
    ];

    private static ImmutableArray<CodeFixProvider> Fixers { get; } =
    [
        new BlockingCallCodeFix(), new ConfigureAwaitCodeFix(), new CatchAllCodeFix(), new MissingTokenCodeFix(),
    ];

    /// <summary>Asserts that the analyzers report exactly the diagnostics marked in <paramref name="markedSource"/>.</summary>
    public static async Task VerifyAsync(string markedSource)
    {
        (string source, List<(string Id, TextSpan Span)> expected) = Parse(markedSource);
        Document document = CreateDocument(source);
        ImmutableArray<Diagnostic> actual = await AnalyzeAsync(document);
        string Describe(IEnumerable<(string Id, TextSpan Span)> ds) =>
            string.Join("\n", ds.Select(d => $"  {d.Id} at {d.Span}: '{source.Substring(d.Span.Start, d.Span.Length)}'"));
        var got = actual.Select(d => (d.Id, d.Location.SourceSpan)).OrderBy(d => d.SourceSpan.Start).ToList();
        Assert.True(
            got.SequenceEqual(expected.OrderBy(e => e.Span.Start)),
            $"expected:\n{Describe(expected)}\nactual:\n{Describe(got)}\n{string.Join("\n", actual.Select(d => "  " + d.GetMessage()))}");
    }

    /// <summary>
    /// Applies the first fix offered for each diagnostic of a marked rule, one after the other (a fix may
    /// bring up another rule's diagnostic: that one is left alone), and asserts the
    /// result is <paramref name="expectedSource"/> and still compiles.
    /// </summary>
    public static async Task VerifyFixAsync(string markedSource, string expectedSource)
    {
        await VerifyAsync(markedSource);
        (string source, List<(string Id, TextSpan Span)> marked) = Parse(markedSource);
        var ids = marked.Select(m => m.Id).ToHashSet();
        Document document = CreateDocument(source);
        for (int round = 0; round < 20; round++)
        {
            ImmutableArray<Diagnostic> diagnostics = await AnalyzeAsync(document);
            CodeAction? action = null;
            foreach (Diagnostic d in diagnostics.Where(d => ids.Contains(d.Id)))
            {
                action = await FirstFixAsync(document, d);
                if (action is not null)
                {
                    break;
                }
            }

            if (action is null)
            {
                break;
            }

            ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(CancellationToken.None);
            Solution changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
            document = changed.GetDocument(document.Id)!;
        }

        string actual = (await document.GetTextAsync()).ToString();
        Assert.Equal(Normalize(expectedSource), Normalize(actual));
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "the fixed code does not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())));
    }

    /// <summary>Asserts that no fix is offered for the diagnostics of <paramref name="markedSource"/>.</summary>
    public static async Task VerifyNoFixAsync(string markedSource)
    {
        await VerifyAsync(markedSource);
        Document document = CreateDocument(Parse(markedSource).Source);
        foreach (Diagnostic d in await AnalyzeAsync(document))
        {
            Assert.Null(await FirstFixAsync(document, d));
        }
    }

    private static async Task<CodeAction?> FirstFixAsync(Document document, Diagnostic diagnostic)
    {
        var actions = new List<CodeAction>();
        foreach (CodeFixProvider fixer in Fixers.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            var context = new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None);
            await fixer.RegisterCodeFixesAsync(context);
        }

        return actions.FirstOrDefault();
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Document document)
    {
        Compilation compilation = (await document.Project.GetCompilationAsync())!;
        Diagnostic[] errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "the test source does not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())));
        ImmutableArray<Diagnostic> diagnostics = await compilation.WithAnalyzers(Analyzers).GetAnalyzerDiagnosticsAsync();
        return [.. diagnostics.Where(d => d.Location.SourceTree?.FilePath == "Test.cs").OrderBy(d => d.Location.SourceSpan.Start)];
    }

    private static Document CreateDocument(string source)
    {
        var workspace = new AdhocWorkspace();
        ProjectId id = ProjectId.CreateNewId();
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        Solution solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(id, VersionStamp.Default, "Test", "Test", LanguageNames.CSharp)
                .WithParseOptions(parse)
                .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable))
                .WithMetadataReferences(s_references.Value))
            .AddDocument(DocumentId.CreateNewId(id), "GlobalUsings.cs", string.Concat(s_implicitUsings.Select(u => $"global using {u};\n")), filePath: "GlobalUsings.cs")
            .AddDocument(DocumentId.CreateNewId(id), "Test.cs", source, filePath: "Test.cs");
        return solution.Projects.Single().Documents.Single(d => d.Name == "Test.cs");
    }

    /// <summary>The source without its <c>{|ID:...|}</c> markers, and the marked spans.</summary>
    private static (string Source, List<(string Id, TextSpan Span)> Expected) Parse(string marked)
    {
        var expected = new List<(string, TextSpan)>();
        var open = new Stack<(string Id, int Start)>();
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < marked.Length; i++)
        {
            Match m = MarkerStart().Match(marked, i);
            if (m.Success && m.Index == i)
            {
                open.Push((m.Groups[1].Value, text.Length));
                i += m.Length - 1;
            }
            else if (marked[i] == '|' && i + 1 < marked.Length && marked[i + 1] == '}' && open.Count > 0)
            {
                (string id, int start) = open.Pop();
                expected.Add((id, TextSpan.FromBounds(start, text.Length)));
                i++;
            }
            else
            {
                text.Append(marked[i]);
            }
        }

        Assert.Empty(open);
        return (text.ToString(), expected);
    }

    private static string Normalize(string s) => s.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd();

    [GeneratedRegex(@"\{\|(GS\d{4}):")]
    private static partial Regex MarkerStart();
}
