namespace GeventSharp.Samples.Seed;

/// <summary>S7..S11: the programs that use the coordination primitives.</summary>
public static class SeedPrimitivePrograms
{
    /// <summary>The programs, in seed order.</summary>
    public static IReadOnlyList<SeedProgram> All { get; } = new SeedProgram[]
    {
        new("07_event", "S7: Event: a setter wakes five waiters after 3 s", S07Event.Run),
        new("08_asyncresult", "S8: AsyncResult: the setter hands 'Hello!' to five waiters after 3 s", S08AsyncResult.Run),
        new("09_queue", "S9: Queue: one producer, three consumers, each item consumed once", S09Queue.Run),
        new("10_bounded_semaphore", "S10: BoundedSemaphore(2): only two workers at once", S10BoundedSemaphore.Run),
        new("11_local", "S11: Local: a value set in one greenlet is invisible in another", S11Local.Run),
    };
}
