namespace GeventSharp;

/// <summary>Where a greenlet is in its life.</summary>
internal enum GreenletState : byte
{
    /// <summary>Created, not started.</summary>
    Unstarted,

    /// <summary>Scheduled to start (in the ready queue, or waiting for its <c>StartLater</c> timer).</summary>
    StartPending,

    /// <summary>Its code is running on the hub right now.</summary>
    Running,

    /// <summary>Blocked in a library wait (a waiter registered with the hub or a primitive).</summary>
    Waiting,

    /// <summary>Woken and in the ready queue, about to resume.</summary>
    Woken,

    /// <summary>Suspended in an await the library did not create (a <see cref="Task"/>, a stream read...).</summary>
    Foreign,

    /// <summary>Resumes through a continuation it posted to its own synchronization context (already in the ready queue).</summary>
    Posted,

    /// <summary>
    /// Swallowed its kill (or expired timeout) too often: parked on a wait that never completes, it
    /// is finished at the end of this hub step.
    /// </summary>
    Ending,

    /// <summary>Finished: returned, failed or killed.</summary>
    Dead,
}
