using System.Text.RegularExpressions;
using Xunit;

namespace GeventSharp.Tests.Architecture;

/// <summary>
/// Dependencies point down only: Core (hub, greenlets, timers, poller) knows nothing of the
/// primitives or networking; the primitives know nothing of networking. Checked on the source,
/// since Core and Primitives share the <c>GeventSharp</c> namespace. HTTP is its own assembly
/// (GeventSharp.Http) over the core's public API, so the compiler keeps the core from using it.
/// </summary>
public class LayerTests
{
    private static readonly Regex TypeDeclaration = new(@"\b(?:class|struct|interface|record|enum)\s+(?<name>[A-Z]\w*)", RegexOptions.Compiled);

    [Theory]
    [InlineData("Core", "Primitives")]
    [InlineData("Core", "Net")]
    [InlineData("Primitives", "Net")]
    public void Layer_DoesNotUseTypesOfAHigherLayer(string lower, string higher)
    {
        string src = Path.Combine(RepoRoot(), "src", "GeventSharp");
        var higherTypes = Directory.GetFiles(Path.Combine(src, higher), "*.cs")
            .SelectMany(f => TypeDeclaration.Matches(File.ReadAllText(f)).Select(m => m.Groups["name"].Value))
            .ToHashSet();

        var offences = new List<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(src, lower), "*.cs"))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                string code = StripComment(lines[i]);
                foreach (Match word in Regex.Matches(code, @"(?<![\w.])[A-Z]\w*\b")) // a qualified name (System.Collections.Generic.Queue) is not ours
                {
                    if (higherTypes.Contains(word.Value))
                    {
                        offences.Add($"{Path.GetFileName(file)}:{i + 1} uses {higher}'s {word.Value}");
                    }
                }

                if (code.Contains($"GeventSharp.{higher}", StringComparison.Ordinal))
                {
                    offences.Add($"{Path.GetFileName(file)}:{i + 1} names GeventSharp.{higher}");
                }
            }
        }

        Assert.True(offences.Count == 0, string.Join("\n", offences));
    }

    private static string StripComment(string line)
    {
        int comment = line.IndexOf("//", StringComparison.Ordinal);
        string code = comment >= 0 ? line[..comment] : line;
        return Regex.Replace(code, "\"(?:[^\"\\\\]|\\\\.)*\"", "\"\""); // string literals say nothing about dependencies
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
}
