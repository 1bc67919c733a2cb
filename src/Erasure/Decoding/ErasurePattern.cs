namespace Overlay.Erasure.Decoding;

/// <summary>
/// Which shards of a stripe are present (a 256-bit set) and whether only the data shards are to be
/// rebuilt: together they fix the decode plan, so they key the plan cache.
/// </summary>
internal readonly struct ErasurePattern : IEquatable<ErasurePattern>
{
    private readonly ulong _present0;
    private readonly ulong _present1;
    private readonly ulong _present2;
    private readonly ulong _present3;

    public ErasurePattern(ReadOnlySpan<bool> present, bool dataOnly)
    {
        Span<ulong> words = stackalloc ulong[4];
        words.Clear();
        for (var i = 0; i < present.Length; i++)
        {
            if (present[i])
            {
                words[i >> 6] |= 1UL << (i & 63);
            }
        }

        (_present0, _present1, _present2, _present3) = (words[0], words[1], words[2], words[3]);
        DataOnly = dataOnly;
    }

    public bool DataOnly { get; }

    public bool Equals(ErasurePattern other) =>
        _present0 == other._present0 && _present1 == other._present1 && _present2 == other._present2
        && _present3 == other._present3 && DataOnly == other.DataOnly;

    public override bool Equals(object? obj) => obj is ErasurePattern other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_present0, _present1, _present2, _present3, DataOnly);
}
