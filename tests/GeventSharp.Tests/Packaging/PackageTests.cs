using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace GeventSharp.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> yields packages a consumer can use: identity, description, authors, license,
/// a readme that stands on its own, the assembly with its XML docs, and a symbols package.
/// </summary>
public class PackageTests
{
    private static readonly string s_repo = DotnetCli.RepoRoot;
    private static readonly string s_configuration = DotnetCli.Configuration;

    [Theory]
    [InlineData("GeventSharp")]
    [InlineData("GeventSharp.Http")]
    [InlineData("GeventSharp.Testing")]
    [InlineData("GeventSharp.Diagnostics")]
    [InlineData("GeventSharp.Hosting")]
    public void Pack_YieldsAUsablePackage(string project)
    {
        string output = Directory.CreateTempSubdirectory("geventsharp-pack-").FullName;
        try
        {
            // The test project built these projects already; pack what was built.
            (int exit, string log) = Dotnet("pack", Path.Combine(s_repo, "src", project), "-c", s_configuration, "--no-build", "-o", output);
            Assert.True(exit == 0, log);

            string nupkg = Assert.Single(Directory.GetFiles(output, $"{project}.*.nupkg"), f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
            Assert.Single(Directory.GetFiles(output, $"{project}.*.snupkg"));
            using ZipArchive zip = ZipFile.OpenRead(nupkg);
            XElement metadata = XDocument.Load(zip.GetEntry($"{project}.nuspec")!.Open()).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

            Assert.Equal(project, Field("id"));
            Assert.Matches(@"^\d+\.\d+\.\d+", Field("version"));
            Assert.False(string.IsNullOrWhiteSpace(Field("description")));
            Assert.False(string.IsNullOrWhiteSpace(Field("authors")));
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("README.md", Field("readme"));
            Assert.NotNull(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository"));

            Assert.NotNull(zip.GetEntry($"lib/net10.0/{project}.dll"));
            Assert.NotNull(zip.GetEntry($"lib/net10.0/{project}.xml"));
            using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
            string readme = reader.ReadToEnd();
            Assert.Contains("```csharp", readme, StringComparison.Ordinal);

            // A package page cannot follow links into the repository: every link is absolute.
            Assert.Empty(Regex.Matches(readme, @"\]\((?!https?://)[^)]*\)").Select(m => m.Value));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static (int Exit, string Log) Dotnet(params string[] args)
    {
        var (exit, stdout, stderr) = DotnetCli.Run(null, args);
        return (exit, stdout + stderr);
    }
}
