using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace GeventSharp.Analyzers;

/// <summary>The GS rules; each has a section in docs/analyzers.md.</summary>
internal static class Descriptors
{
    private const string Category = "GeventSharp";

    /// <summary>
    /// Where docs/analyzers.md lives: <c>$(RepositoryUrl)/blob/main/docs/analyzers.md</c> when the
    /// build knows the repository's address (see the csproj), else the path in the repository.
    /// </summary>
    private static readonly string s_helpBase = typeof(Descriptors).Assembly
        .GetCustomAttributes(typeof(AssemblyMetadataAttribute), inherit: false)
        .OfType<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "AnalyzersHelp")?.Value is { Length: > 0 } url ? url : "docs/analyzers.md";

    public static readonly DiagnosticDescriptor BlockingWait = Rule(
        "GS0001",
        "Blocking wait in greenlet code",
        "'{0}' blocks the hub thread and every greenlet on it; {1}",
        "A greenlet shares one thread with every other greenlet of its hub: a blocking wait stops them all, and a wait on work the hub itself must do never ends.");

    public static readonly DiagnosticDescriptor SyncIo = Rule(
        "GS0002",
        "Synchronous I/O with an async twin in greenlet code",
        "'{0}' blocks the hub thread; await '{1}' instead",
        "Synchronous I/O in a greenlet holds the hub thread until the operation completes; the asynchronous twin lets the other greenlets run meanwhile.");

    public static readonly DiagnosticDescriptor ConfigureAwaitFalse = Rule(
        "GS0003",
        "ConfigureAwait(false) in greenlet code",
        "ConfigureAwait(false) can resume this greenlet off the hub thread; await without it",
        "A greenlet must resume on its hub. ConfigureAwait(false) lets a foreign operation resume the rest of the greenlet on a thread-pool thread, where hub APIs throw and shared state races.");

    public static readonly DiagnosticDescriptor CatchAll = Rule(
        "GS0004",
        "Catch-all around a wait swallows GreenletExit and Timeout",
        "This catch swallows {0} raised at the awaits of its try block; filter them out: when (e is not GreenletExit and not Timeout)",
        "Kill raises GreenletExit and a Timeout raises itself at the greenlet's current wait. In gevent they are BaseExceptions that 'except Exception' lets through; in .NET they are Exceptions, so a catch-all keeps a killed greenlet alive.");

    public static readonly DiagnosticDescriptor MissingToken = Rule(
        "GS0005",
        "Foreign await in greenlet code without a cancellation token",
        "'{0}' takes a CancellationToken; pass the greenlet's token so a kill or a Timeout interrupts it",
        "A kill or a Timeout interrupts the greenlet's GeventSharp waits, but a foreign operation (HttpClient, streams, Task.Delay) stops only when it is given Greenlet.CancellationToken.");

    public static readonly DiagnosticDescriptor OffHub = Rule(
        "GS0006",
        "Hub-only API called off the hub",
        "'{0}' needs the current thread's hub, but this code runs on {1}",
        "Waits, spawns and kills belong to the hub the calling greenlet runs on. Code passed to Task.Run, a Thread, the thread pool or Gevent.RunBlockingAsync runs on another thread, where they throw; talk to the hub through Hub.Post.");

    public static string HelpLink(string id) => s_helpBase + "#" + id.ToLowerInvariant();

    private static DiagnosticDescriptor Rule(string id, string title, string message, string description) =>
        new(id, title, message, Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, description, HelpLink(id));
}
