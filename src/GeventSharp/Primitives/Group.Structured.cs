using System.Runtime.ExceptionServices;

namespace GeventSharp;

/// <summary>Structured groups (nurseries).</summary>
public partial class Group
{
    /// <summary>
    /// Creates a <see cref="StructuredGroup"/> owned by the current greenlet; use it in an
    /// <c>await using</c>: <c>await using var g = Group.Structured();</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not called from a greenlet.</exception>
    public static StructuredGroup Structured() => new(Hub.CurrentGreenletOrThrow("Group.Structured"));

    /// <summary>
    /// Runs <paramref name="body"/> with a fresh structured group and returns when the body and every
    /// member have finished. If a member fails, the other members and the body are interrupted and
    /// the failure is rethrown; if the body fails, the members are killed and the body's exception
    /// is rethrown.
    /// </summary>
    public static async Task RunStructuredAsync(Func<Group, Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        StructuredGroup group = Structured();
        try
        {
            await body(group);
        }
        catch (Exception e) when (!group.IsInterrupt(e))
        {
            await group.AbortAsync();
            ExceptionDispatchInfo.Capture(e).Throw();
        }
        #pragma warning disable GS0004 // the clause above took everything but the group's own interrupt (a kill and a Timeout included): only that interrupt reaches here
        catch (Exception)
        #pragma warning restore GS0004
        {
            // a member failed and interrupted the body: DisposeAsync rethrows that failure
        }

        await group.DisposeAsync();
    }

    /// <summary>Runs <paramref name="body"/> with a fresh structured group and returns its result; see <see cref="RunStructuredAsync(Func{Group, Task})"/>.</summary>
    public static async Task<T> RunStructuredAsync<T>(Func<Group, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        T result = default!;
        await RunStructuredAsync(async g => { result = await body(g); });
        return result;
    }
}
