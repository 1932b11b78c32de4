using System.Text.RegularExpressions;
using GeventSharp.Tests.Packaging;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GeventSharp.Tests.Analyzers;

/// <summary>Every GS rule has its page: a help link to its section of docs/analyzers.md, which exists and says what, why, the fix and how to suppress.</summary>
public class RuleCatalogTests
{
    private static readonly DiagnosticDescriptor[] s_rules = [.. AnalyzerHarness.Analyzers.SelectMany(a => a.SupportedDiagnostics).DistinctBy(d => d.Id)];

    [Fact]
    public void TheRulesAreNumberedFromGS0001_WithoutGaps() =>
        Assert.Equal(Enumerable.Range(1, s_rules.Length).Select(i => $"GS{i:0000}"), s_rules.Select(r => r.Id).Order(StringComparer.Ordinal));

    [Fact]
    public void EachRule_LinksToItsSection_WhichExplainsIt()
    {
        string page = File.ReadAllText(Path.Combine(DotnetCli.RepoRoot, "docs", "analyzers.md"));
        foreach (DiagnosticDescriptor rule in s_rules)
        {
            string anchor = rule.Id.ToLowerInvariant();
            Assert.EndsWith($"analyzers.md#{anchor}", rule.HelpLinkUri, StringComparison.Ordinal);
            Match section = Regex.Match(page, $"<a id=\"{anchor}\"></a>\\n## {rule.Id}: (?<title>[^\\n]*)\\n(?<body>.*?)(?=\\n<a id=|\\n## |$)", RegexOptions.Singleline);
            Assert.True(section.Success, $"docs/analyzers.md has no section <a id=\"{anchor}\"></a> ## {rule.Id}: ...");
            Assert.Equal(rule.Title.ToString(), section.Groups["title"].Value);
            foreach (string part in new[] { "**What.**", "**Why.**", "**The fix", "**Suppress" })
            {
                Assert.Contains(part, section.Groups["body"].Value, StringComparison.Ordinal);
            }
        }
    }
}
