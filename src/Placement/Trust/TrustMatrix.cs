using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// EigenTrust's matrix C over the peers a node knows, in compressed sparse rows: row i holds issuer i's
/// normalised local trust c_i·, and a row with no entries (a peer that published nothing, or trusts no
/// one) stands for the pre-trusted distribution p, as in the paper. Peers are indexed in PeerId order, so
/// the same inputs give the same matrix. Immutable; built by <see cref="TrustMatrixBuilder"/>.
/// </summary>
/// <remarks>
/// Memory: 8 bytes per entry (a 4-byte column and a 4-byte value) plus about 80 bytes per peer (PeerId,
/// row start, index entry). At 10,000 peers naming 200 each that is 16 MB + 0.8 MB.
/// </remarks>
public sealed class TrustMatrix
{
    private readonly PeerId[] _peers;
    private readonly Dictionary<PeerId, int> _index;
    private readonly int[] _rowStart;
    private readonly int[] _columns;
    private readonly float[] _values;
    private readonly int[] _preTrusted;
    private readonly double[] _preTrust;

    internal TrustMatrix(PeerId[] peers, Dictionary<PeerId, int> index, int[] rowStart, int[] columns, float[] values, int[] preTrusted, double[] preTrust)
    {
        _preTrust = preTrust;
        _peers = peers;
        _index = index;
        _rowStart = rowStart;
        _columns = columns;
        _values = values;
        _preTrusted = preTrusted;
    }

    /// <summary>Number of peers (rows and columns).</summary>
    public int PeerCount => _peers.Length;

    /// <summary>Number of non-zero entries c_ij.</summary>
    public int EntryCount => _columns.Length;

    /// <summary>The peers in index order (ascending PeerId).</summary>
    public ReadOnlySpan<PeerId> Peers => _peers;

    /// <summary>Indexes of the pre-trusted peers; empty when none is known, and p is then uniform over every peer.</summary>
    public ReadOnlySpan<int> PreTrusted => _preTrusted;

    /// <summary>p_i of each of <see cref="PreTrusted"/>, in the same order, summing to 1 (uniform unless weights were given).</summary>
    public ReadOnlySpan<double> PreTrust => _preTrust;

    /// <summary>Approximate bytes this matrix holds (entries, rows, peers and their index).</summary>
    public long ApproximateBytes => (8L * _columns.Length) + (4L * _rowStart.Length) + (PeerId.Size * 2L * _peers.Length) + (24L * _peers.Length) + (12L * _preTrusted.Length);

    /// <summary>The index of <paramref name="peer"/>, or false when the matrix does not know it.</summary>
    public bool TryGetIndex(PeerId peer, out int index) => _index.TryGetValue(peer, out index);

    /// <summary>Columns of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowColumns(int row) => _columns.AsSpan(_rowStart[row], _rowStart[row + 1] - _rowStart[row]);

    /// <summary>Values of row <paramref name="row"/>, summing to 1 unless the row is empty.</summary>
    public ReadOnlySpan<float> RowValues(int row) => _values.AsSpan(_rowStart[row], _rowStart[row + 1] - _rowStart[row]);

    internal ReadOnlySpan<int> RowStarts => _rowStart;

    internal ReadOnlySpan<int> Columns => _columns;

    internal ReadOnlySpan<float> Values => _values;

    internal PeerId[] PeerArray => _peers;

    internal Dictionary<PeerId, int> Index => _index;
}
