using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace GeventSharp.Tests.Packaging;

/// <summary>
/// <c>dotnet pack</c> yields packages a consumer can use: identity, description, authors, license,
/// a readme that stands on its own, the assembly with its XML docs, a symbols package, and (in
/// GeventSharp's) the GS analyzers with their settings.
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

            // The GS analyzers travel inside GeventSharp (every other package depends on it), never as a package of their own.
            string[] analyzers = ["analyzers/dotnet/cs/GeventSharp.Analyzers.dll", "analyzers/dotnet/cs/GeventSharp.Analyzers.CodeFixes.dll",
                "buildTransitive/GeventSharp.props", "buildTransitive/GeventSharp.globalconfig"];
            foreach (string entry in analyzers)
            {
                Assert.True((zip.GetEntry(entry) is not null) == (project == "GeventSharp"), $"{entry} in {project}'s package: {zip.GetEntry(entry) is not null}");
            }

            Assert.DoesNotContain(
                metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id") ?? ""),
                id => id.StartsWith("GeventSharp.Analyzers", StringComparison.Ordinal));
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

    [Fact]
    public void AConsumerOfThePackage_GetsTheAnalyzers_WithNothingToSetUp()
    {
        string dir = Directory.CreateTempSubdirectory("geventsharp-consumer-").FullName;
        try
        {
            string feed = Path.Combine(dir, "feed");
            (int exit, string log) = Dotnet("pack", Path.Combine(s_repo, "src", "GeventSharp"), "-c", s_configuration, "--no-build", "-o", feed);
            Assert.True(exit == 0, log);
            string nupkg = Path.GetFileName(Assert.Single(Directory.GetFiles(feed, "GeventSharp.*.nupkg"), f => !f.EndsWith(".snupkg", StringComparison.Ordinal)));
            string version = nupkg["GeventSharp.".Length..^".nupkg".Length];

            // Outside the repository (no Directory.Build.props), restoring GeventSharp from the packed
            // package only (source mapping), its dependencies (Microsoft.Extensions.Logging.Abstractions)
            // from this machine's package folder, into a packages folder of its own (never a stale
            // copy of the same version from the global cache).
            File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
                <configuration>
                  <packageSources><clear /><add key="local" value="{feed}" /><add key="machine" value="{Architecture.LoggingGenerator.PackageRoot}" /></packageSources>
                  <packageSourceMapping>
                    <packageSource key="local"><package pattern="GeventSharp*" /></packageSource>
                    <packageSource key="machine"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <RestorePackagesPath>{Path.Combine(dir, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="GeventSharp" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), """
                using GeventSharp;

                Gevent.Run(async () =>
                {
                    Greenlet napper = Gevent.Spawn(() => Thread.Sleep(10)); // real-time: the consumer's mistake GS0001 must flag
                    await napper.JoinAsync();
                });
                """);

            (exit, log) = Dotnet("build", Path.Combine(dir, "Consumer.csproj"), "-nologo");
            Assert.True(exit == 0, log);
            Assert.Matches(@"Program\.cs\(5,\d+\): warning GS0001", log);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Exit, string Log) Dotnet(params string[] args)
    {
        (int exit, string stdout, string stderr) = DotnetCli.Run(null, args);
        return (exit, stdout + stderr);
    }
}
