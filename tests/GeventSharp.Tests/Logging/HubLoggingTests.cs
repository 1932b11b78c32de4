using Microsoft.Extensions.Logging;
using Xunit;

namespace GeventSharp.Tests.Logging;

/// <summary>The hub's default error handler logs through <see cref="Hub.LoggerFactory"/>: failures and monitor reports, with event IDs and properties.</summary>
public class HubLoggingTests
{
    [Fact]
    public void AFailingGreenlet_IsLoggedAsAnError_WithItsNameIdAndFunction()
    {
        Greenlet? failed = null;
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            failed = Gevent.Spawn(Explode);
            failed.Name = "worker";
            await failed.JoinAsync();
        });

        LogEntry entry = Assert.Single(capture.Entries);
        Assert.Equal("GeventSharp.Hub", entry.Category);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(new EventId(1, "GreenletFailed"), entry.EventId);
        Assert.Equal("GreenletFailed", entry.EventId.Name);
        Assert.Equal("worker", entry["GreenletName"]);
        Assert.Equal(failed!.Id, entry["GreenletId"]);
        Assert.Contains(nameof(Explode), (string)entry["Function"]!);
        Assert.Equal(nameof(InvalidOperationException), entry["ExceptionType"]);
        Assert.Equal("boom", Assert.IsType<InvalidOperationException>(entry.Exception).Message);
        Assert.Contains("Greenlet \"worker\"", entry.Message);
    }

    [Fact]
    public void AFailingHubCallback_IsLoggedAsCallbackFailed()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            Hub.Current!.Post(() => throw new ArgumentException("from a callback"));
            await Gevent.Sleep(0);
        });

        LogEntry entry = Assert.Single(capture.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal(2, entry.EventId.Id);
        Assert.Equal(nameof(ArgumentException), entry["ExceptionType"]);
        Assert.IsType<ArgumentException>(entry.Exception);
    }

    [Fact]
    public void AMonitorReport_IsLoggedAsAWarning_WithHowLongAndWhetherItLooksLikeADeadlock()
    {
        Greenlet? blocker = null;
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            blocker = Gevent.Spawn(() => Gevent.Sleep(0));
            blocker.Name = "blocker";
            Hub hub = Hub.Current!;

            // What the monitor hands the error handler when the hub thread waits synchronously while two callbacks wait for it.
            hub.ReportError(blocker, new HubBlockedException(blocker, TimeSpan.FromMilliseconds(250), hub.Thread, stillBlocked: true, hubThreadWaiting: true, pendingCallbacks: 2));
            await blocker.JoinAsync();
        });

        LogEntry entry = Assert.Single(capture.Entries);
        Assert.Equal("GeventSharp.Hub", entry.Category);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(new EventId(3, "HubBlocked"), entry.EventId);
        Assert.Equal(250.0, entry["BlockedMilliseconds"]);
        Assert.Equal(blocker!.ToString(), entry["Greenlet"]);
        Assert.Equal(true, entry["StillBlocked"]);
        Assert.Equal(true, entry["LikelyDeadlock"]);
        Assert.Contains("deadlock", Assert.IsType<HubBlockedException>(entry.Exception).Message);
        Assert.Contains("at least 250 ms", entry.Message);
    }

    [Fact]
    public void AnErrorHandlerOfTheUser_WinsOverTheLog()
    {
        var handled = new List<Exception>();
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ => await Gevent.Spawn(Explode).JoinAsync(), errorHandler: (g, e) => handled.Add(e));

        Assert.IsType<InvalidOperationException>(Assert.Single(handled));
        Assert.Empty(capture.Entries);
    }

    [Fact]
    public void AnErrorHandlerThatThrows_IsLoggedAfterTheFailureItWasGiven()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ =>
        {
            Hub.Current!.ErrorHandler = (g, e) => throw new NotSupportedException("handler bug");
            await Gevent.Spawn(Explode).JoinAsync();
        });

        Assert.Equal([1, 4], capture.Entries.Select(e => e.EventId.Id));
        Assert.IsType<InvalidOperationException>(capture.Entries[0].Exception);
        Assert.IsType<NotSupportedException>(capture.Entries[1].Exception);
        Assert.Equal("ErrorHandlerFailed", capture.Entries[1].EventId.Name);
    }

    [Fact]
    public void WithoutALoggerFactory_TheDefaultHandlerIsTheConsoleOne_AndAFactorySetLaterIsUsed()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(
            async loggers =>
            {
                Hub hub = Hub.Current!;
                Assert.Null(hub.LoggerFactory); // so failures go to Hub.DefaultErrorHandler (standard error), as the seed oracle's output checks
                hub.LoggerFactory = loggers;
                await Gevent.Spawn(Explode).JoinAsync();
            },
            factoryInOptions: false);

        Assert.Equal(1, Assert.Single(capture.Entries).EventId.Id);
    }

    [Fact]
    public void ALevelTheLoggerDoesNotWant_IsNotLogged()
    {
        CapturingLoggerProvider capture = CapturingLoggerProvider.RunHub(async _ => await Gevent.Spawn(Explode).JoinAsync(), minimum: LogLevel.Critical);
        Assert.Empty(capture.Entries); // and not written to standard error either: the log is where reports go
    }

    private static void Explode() => throw new InvalidOperationException("boom");
}
