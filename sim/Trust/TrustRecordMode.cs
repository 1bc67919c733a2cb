namespace Overlay.Sim.Trust;

/// <summary>How rows travel from the peers that publish them to the matrix.</summary>
internal enum TrustRecordMode
{
    /// <summary>Rows go straight into the matrix: every node is assumed to collect every row unaltered.</summary>
    Plain,

    /// <summary>
    /// Every row is published as a signed local-trust record and collected through a
    /// <see cref="Overlay.Placement.Trust.TrustRecordBook"/>; every malicious peer also forges, each round, a
    /// record in the name of a pre-trusted peer that gives its trust to the collective.
    /// </summary>
    Signed,

    /// <summary>
    /// As <see cref="Signed"/>, but the collector takes each well-formed record whose issue time is newer
    /// than the one it holds without checking the signature: the same attack with that defence switched off.
    /// </summary>
    Unchecked,
}
