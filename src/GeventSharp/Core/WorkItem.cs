namespace GeventSharp;

/// <summary>One unit of work in the hub's ready queue.</summary>
/// <remarks>
/// With no <see cref="Callback"/>, the item resumes (or starts) <see cref="Greenlet"/>.
/// With a callback, the callback runs with <see cref="Greenlet"/> as the current greenlet
/// (null for hub-level callbacks such as link notifications).
/// </remarks>
internal struct WorkItem
{
    public Greenlet? Greenlet;
    public Delegate? Callback; // Action<object?> or SendOrPostCallback
    public object? State;

    public WorkItem(Greenlet? greenlet, Delegate? callback, object? state)
    {
        Greenlet = greenlet;
        Callback = callback;
        State = state;
    }
}
