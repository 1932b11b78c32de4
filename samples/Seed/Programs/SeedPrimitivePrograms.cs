namespace GeventSharp.Samples.Seed;

/// <summary>S7..S11: the programs that use the coordination primitives.</summary>
public static class SeedPrimitivePrograms
{
    /// <summary>The programs, in seed order.</summary>
    public static IReadOnlyList<SeedProgram> All { get; } = Array.Empty<SeedProgram>();
}
