using System.Runtime.InteropServices;

namespace GeventSharp;

public static partial class Gevent
{
    /// <summary>
    /// Runs <paramref name="stop"/> in a new greenlet on this hub when the process gets SIGTERM or
    /// SIGINT (Ctrl+C), instead of letting the signal end the process: the way to stop a server
    /// gracefully (gevent: <c>gevent.signal_handler(signal.SIGTERM, server.stop)</c>).
    /// </summary>
    /// <remarks>
    /// <para>The first signal starts <paramref name="stop"/>; a second one while it runs is left to
    /// the system's default (the process ends at once: press Ctrl+C twice to skip the drain).
    /// Later signals after <paramref name="stop"/> has finished start it again.</para>
    /// <para>While registered, the hub knows another thread may wake it, so a program that only waits
    /// for the signal is not taken for a deadlock. Dispose the result to unregister.</para>
    /// </remarks>
    /// <param name="stop">What to do on the signal, typically <c>() =&gt; server.StopAsync()</c>.</param>
    /// <returns>The registration; dispose it to restore the default handling.</returns>
    /// <exception cref="InvalidOperationException">Not called on a hub thread.</exception>
    /// <example>
    /// <code>
    /// Gevent.Run(async () =&gt;
    /// {
    ///     var server = new StreamServer(new IPEndPoint(IPAddress.Loopback, 16000), HandleAsync,
    ///         new StreamServerOptions { StopTimeout = TimeSpan.FromSeconds(10) });
    ///     using var signals = Gevent.OnShutdownSignal(() =&gt; server.StopAsync());
    ///     await server.ServeForeverAsync(); // after SIGTERM: refuses new connections, lets handlers finish (10 s at most)
    /// });
    /// </code>
    /// </example>
    public static IDisposable OnShutdownSignal(Func<Task> stop)
    {
        ArgumentNullException.ThrowIfNull(stop);
        return new ShutdownSignalRegistration(Hub.CurrentOrThrow("Gevent.OnShutdownSignal"), stop);
    }

    private sealed class ShutdownSignalRegistration : IDisposable
    {
        private readonly Hub _hub;
        private readonly Func<Task> _stop;
        private readonly IDisposable _keepAlive;
        private readonly PosixSignalRegistration _term;
        private readonly PosixSignalRegistration _interrupt;
        private int _running;

        public ShutdownSignalRegistration(Hub hub, Func<Task> stop)
        {
            _hub = hub;
            _stop = stop;
            _keepAlive = hub.KeepAlive();
            _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        }

        public void Dispose()
        {
            _term.Dispose();
            _interrupt.Dispose();
            _keepAlive.Dispose();
        }

        /// <summary>On a signal thread: the first signal is taken over and hands the stop to the hub.</summary>
        private void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            {
                return; // a second signal during the stop: the default action ends the process
            }

            context.Cancel = true;
            try
            {
                _hub.Post(() => Spawn(RunStopAsync).Name = "Gevent.OnShutdownSignal");
            }
            catch (InvalidOperationException)
            {
                // The hub has finished: there is nothing left to stop.
            }
        }

        private async Task RunStopAsync()
        {
            try
            {
                await _stop();
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        }
    }
}
