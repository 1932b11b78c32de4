namespace GeventSharp.Samples.Seed;

/// <summary>
/// S9: a producer puts 1..9 into a <see cref="FifoQueue{T}"/>; three consumers take items until it is
/// empty, yielding after each. The original's <c>print('%s Quit')</c> bug is kept on purpose (the
/// oracle prints a literal <c>%s Quit</c>); the fixed line would be <c>$"{name} Quit"</c>.
/// </summary>
public static class S09Queue
{
    public static async Task Run()
    {
        var products = new FifoQueue<int>();

        async Task Consumer(string name)
        {
            while (!products.IsEmpty)
            {
                Console.WriteLine($"{name} got product {await products.GetAsync()}");
                await Gevent.Sleep(0);
            }

            Console.WriteLine("%s Quit");
        }

        async Task Producer()
        {
            for (int i = 1; i < 10; i++)
            {
                await products.PutAsync(i);
            }
        }

        await Gevent.JoinAllAsync(new[]
        {
            Gevent.Spawn(Producer),
            Gevent.Spawn(Consumer, "steve"),
            Gevent.Spawn(Consumer, "john"),
            Gevent.Spawn(Consumer, "nancy"),
        });
    }
}
