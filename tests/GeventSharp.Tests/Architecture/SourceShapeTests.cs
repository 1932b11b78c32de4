using Xunit;

namespace GeventSharp.Tests.Architecture;

/// <summary>
/// Files small enough to hold in one's head: no C# source file under <c>src/</c> is longer than
/// <see cref="MaxLines"/> lines. A type that outgrows it splits into partial files by role, or into
/// single-purpose types (docs/architecture.md).
/// </summary>
public class SourceShapeTests
{
    /// <summary>The longest a source file under src/ may be.</summary>
    public const int MaxLines = 500;

    [Fact]
    public void NoSourceFile_IsLongerThanTheLimit()
    {
        string src = Path.Combine(RepoRoot(), "src");
        var tooLong = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(src, f))
            .Select(f => (File: Path.GetRelativePath(src, f), Lines: File.ReadLines(f).Count()))
            .Where(f => f.Lines > MaxLines)
            .OrderByDescending(f => f.Lines)
            .Select(f => $"src/{f.File}: {f.Lines} lines (limit {MaxLines}); split it by role")
            .ToList();

        Assert.True(tooLong.Count == 0, string.Join("\n", tooLong));
    }

    private static bool IsBuildOutput(string src, string file)
    {
        string[] parts = Path.GetRelativePath(src, file).Split(Path.DirectorySeparatorChar);
        return parts.Contains("obj") || parts.Contains("bin");
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
