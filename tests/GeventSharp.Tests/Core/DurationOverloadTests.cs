using System.Reflection;
using Xunit;

namespace GeventSharp.Tests.Core;

/// <summary>
/// Every public API that takes a duration takes it both ways: seconds (<c>double</c>, as gevent) and
/// <see cref="TimeSpan"/> (as .NET). The seconds form may leave out a trailing
/// <see cref="CancellationToken"/>.
/// </summary>
public class DurationOverloadTests
{
    private static readonly Type[] PublicTypes = [.. typeof(Gevent).Assembly.GetExportedTypes(), .. typeof(GeventSharp.Http.HttpServer).Assembly.GetExportedTypes()];

    /// <summary>
    /// Durations that are not waits a gevent user passes: a measured figure in an exception's
    /// constructor, and an option of .NET's own <see cref="System.Net.WebSockets.WebSocket"/>.
    /// </summary>
    private static readonly HashSet<string> Exempt = ["HubBlockedException..ctor", "HttpResponse.AcceptWebSocketAsync"];

    public static TheoryData<string> DurationMembers()
    {
        var data = new TheoryData<string>();
        foreach (Type type in PublicTypes)
        {
            foreach (MethodBase m in Members(type))
            {
                if (m.GetParameters().Any(p => IsTimeSpan(p.ParameterType) || IsSeconds(p)) && !Exempt.Contains($"{type.Name}.{m.Name}"))
                {
                    data.Add($"{type.Name}|{Describe(m)}");
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DurationMembers))]
    public void HasTheOtherForm(string member)
    {
        string[] parts = member.Split('|');
        Type type = PublicTypes.Single(t => t.Name == parts[0]);
        List<MethodBase> members = Members(type).ToList();
        MethodBase m = members.Single(x => Describe(x) == parts[1]);
        ParameterInfo[] ps = m.GetParameters();
        for (int i = 0; i < ps.Length; i++)
        {
            bool timeSpan = IsTimeSpan(ps[i].ParameterType);
            if (!timeSpan && !IsSeconds(ps[i]))
            {
                continue;
            }

            Assert.True(
                members.Any(n => n != m && n.Name == m.Name && Counterpart(n.GetParameters(), ps, i, timeSpan)),
                $"{type.Name}.{parts[1]}: no overload takes parameter '{ps[i].Name}' as {(timeSpan ? "seconds (double)" : "a TimeSpan")}");
        }
    }

    private static IEnumerable<MethodBase> Members(Type type)
        => type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName)
            .Cast<MethodBase>()
            .Concat(type.GetConstructors());

    private static string Describe(MethodBase m)
        => $"{m.Name}({string.Join(", ", m.GetParameters().Select(p => $"{p.ParameterType} {p.Name}"))})";

    private static bool IsTimeSpan(Type t) => t == typeof(TimeSpan) || t == typeof(TimeSpan?);

    private static bool IsSeconds(ParameterInfo p)
        => (p.ParameterType == typeof(double) || p.ParameterType == typeof(double?))
           && (p.Name!.Contains("econds", StringComparison.Ordinal) || p.Name.Contains("imeout", StringComparison.Ordinal));

    /// <summary>
    /// True if <paramref name="other"/> is <paramref name="mine"/> with parameter <paramref name="at"/>
    /// in the other unit, allowing the seconds form (whichever side it is) to drop a trailing
    /// CancellationToken.
    /// </summary>
    private static bool Counterpart(ParameterInfo[] other, ParameterInfo[] mine, int at, bool mineIsTimeSpan)
    {
        (List<Type> full, int fullAt, List<Type> reduced, int reducedAt) = mineIsTimeSpan
            ? (Types(mine), at, Types(other), IndexOfDuration(other, seconds: true))
            : (Types(other), IndexOfDuration(other, seconds: false), Types(mine), at);
        if (fullAt < 0 || reducedAt < 0)
        {
            return false;
        }

        var candidates = new List<List<Type>> { full };
        if (full[^1] == typeof(CancellationToken))
        {
            candidates.Add(full.Take(full.Count - 1).ToList());
        }

        return candidates.Any(c => c.Count == reduced.Count && c.Select((t, k) => Same(t, reduced[k])).All(x => x));
    }

    private static int IndexOfDuration(ParameterInfo[] ps, bool seconds)
        => Array.FindIndex(ps, p => seconds ? IsSeconds(p) : IsTimeSpan(p.ParameterType));

    private static List<Type> Types(ParameterInfo[] ps)
        => ps.Select(p => IsTimeSpan(p.ParameterType) || IsSeconds(p) ? typeof(TimeSpan) : p.ParameterType).ToList();

    private static bool Same(Type a, Type b) => a.ToString() == b.ToString();
}
