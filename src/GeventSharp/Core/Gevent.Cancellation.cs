namespace GeventSharp;

/// <summary>Shields for cleanup that must wait, and waits on foreign tasks that a kill or timeout can abandon.</summary>
public static partial class Gevent
{
    /// <summary>
    /// Opens a shield in the current greenlet: until it is disposed, a kill and the timeouts started
    /// before it do not interrupt its waits (Trio's shielded cancel scope, Kotlin's <c>NonCancellable</c>).
    /// </summary>
    /// <remarks>
    /// <para>Use it for cleanup that must wait after a kill or a timeout: a killed greenlet's
    /// <see cref="GreenletExit"/> stands (it is raised again at later waits), and so does an expired
    /// timeout until its scope ends, so an unshielded wait in a <c>finally</c> would raise again.</para>
    /// <para>Bound the cleanup with a timeout started inside the shield: it interrupts as usual.
    /// Once the shield ends, the next wait raises what it held off.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    /// <example>
    /// <code>
    /// finally
    /// {
    ///     using (Gevent.Shield())
    ///     using (Timeout.StartNew(5))   // cleanup gets at most 5 s
    ///     {
    ///         await connection.SendGoodbyeAsync();
    ///     }
    /// }
    /// </code>
    /// </example>
    public static ShieldScope Shield()
    {
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.Shield");
        return new ShieldScope(g, g.BeginShield());
    }

    /// <summary>Runs <paramref name="body"/> in a shield (see <see cref="Shield"/>) and waits for it.</summary>
    /// <example><code>await Gevent.ShieldAsync(() =&gt; FlushAsync()); // finishes even if the greenlet was killed</code></example>
    public static async Task ShieldAsync(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using (Shield())
        {
            await body();
        }
    }

    /// <summary>Runs <paramref name="body"/> in a shield (see <see cref="Shield"/>) and returns its result.</summary>
    public static async Task<T> ShieldAsync<T>(Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using (Shield())
        {
            return await body();
        }
    }

    /// <summary>
    /// Waits for a foreign <paramref name="task"/> as a library wait: a kill, a <see cref="Timeout"/> or
    /// <paramref name="cancellationToken"/> ends the wait at once, even if the task takes no token.
    /// </summary>
    /// <remarks>
    /// <para>The task itself runs on (nothing can stop a task that takes no token): its later result is
    /// dropped, and its later exception observed and dropped (never an <c>UnobservedTaskException</c>).
    /// Pass the greenlet's <see cref="Greenlet.CancellationToken"/> to the task as well when it takes
    /// one, so a kill or timeout also stops the work.</para>
    /// <para>Outside a greenlet there is nothing to interrupt: await the task directly.</para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    /// <example>
    /// <code>
    /// using (Timeout.StartNew(1))
    /// {
    ///     string body = await Gevent.WaitAsync(http.GetStringAsync(url)); // Timeout after 1 s, whatever the server does
    /// }
    /// </code>
    /// </example>
    public static ValueTask WaitAsync(Task task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.WaitAsync");
        return task.IsCompleted ? new ValueTask(task) : ForeignTaskWait.WaitAsync(g, task, cancellationToken);
    }

    /// <summary>Waits for a foreign <paramref name="task"/> and returns its result; see <see cref="WaitAsync(Task, CancellationToken)"/>.</summary>
    public static ValueTask<T> WaitAsync<T>(Task<T> task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        Greenlet g = Hub.CurrentGreenletOrThrow("Gevent.WaitAsync");
        return task.IsCompleted ? new ValueTask<T>(task) : ForeignTaskWait.WaitAsync(g, task, cancellationToken);
    }

    /// <summary>Waits for a foreign <paramref name="task"/>; see <see cref="WaitAsync(Task, CancellationToken)"/>.</summary>
    public static ValueTask WaitAsync(ValueTask task, CancellationToken cancellationToken = default)
        => task.IsCompleted ? task : WaitAsync(task.AsTask(), cancellationToken);

    /// <summary>Waits for a foreign <paramref name="task"/> and returns its result; see <see cref="WaitAsync(Task, CancellationToken)"/>.</summary>
    public static ValueTask<T> WaitAsync<T>(ValueTask<T> task, CancellationToken cancellationToken = default)
        => task.IsCompleted ? task : WaitAsync(task.AsTask(), cancellationToken);
}
