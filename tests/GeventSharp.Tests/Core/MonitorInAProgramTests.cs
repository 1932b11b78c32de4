using GeventSharp.Tests.Packaging;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// The monitor as a user meets it: a program built in Release against the library, with no
/// configuration at all, whose greenlet blocks the hub for half a second (real-time: that is the
/// mistake under test, in the child program). The report must reach
/// standard error by itself.
/// </summary>
public class MonitorInAProgramTests
{
    private const string Program = """
        using GeventSharp;

        Gevent.Run(async () =>
        {
            Greenlet sleepy = Gevent.Spawn(() => Thread.Sleep(500)); // real-time: the mistake, blocking the hub
            sleepy.Name = "sleepy";
            await sleepy.JoinAsync();
            Console.WriteLine("done");
        });
        """;

    [Fact]
    public void AReleaseProgramThatSleepsOnTheHub_IsReported_WithNoConfiguration()
    {
        string dir = Directory.CreateTempSubdirectory("geventsharp-monitor-").FullName;
        try
        {
            string library = Path.Combine(AppContext.BaseDirectory, "GeventSharp.dll");
            File.WriteAllText(Path.Combine(dir, "Program.cs"), Program);
            File.WriteAllText(Path.Combine(dir, "Sleepy.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <Reference Include="GeventSharp" HintPath="{library}" />
                  </ItemGroup>
                </Project>
                """);
            var build = DotnetCli.Run(dir, "build", "-c", "Release", "-o", Path.Combine(dir, "out"));
            Assert.True(build.Exit == 0, build.Stdout + build.Stderr);

            // real-time: the program's Thread.Sleep(500) is the blocking the monitor must notice.
            var run = DotnetCli.Run(dir, Path.Combine(dir, "out", "Sleepy.dll"));
            Assert.True(run.Exit == 0, run.Stdout + run.Stderr);
            Assert.Equal("done", run.Stdout.Trim());
            Assert.Contains("HubBlockedException", run.Stderr);
            Assert.Contains("\"sleepy\"", run.Stderr);
            Assert.Contains("synchronous wait", run.Stderr);
            Assert.Contains("Thread.Sleep", run.Stderr); // real-time: names the child's blocking call
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
