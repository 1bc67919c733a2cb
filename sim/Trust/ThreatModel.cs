namespace Overlay.Sim.Trust;

/// <summary>The EigenTrust paper's threat models (Kamvar, Schlosser, Garcia-Molina 2003, §7).</summary>
internal enum ThreatModel
{
    /// <summary>Independent malicious peers: they drop every shard and fail every exchange, and name random peers in their rows.</summary>
    A,

    /// <summary>A malicious collective: as A, but each member's row names only other members.</summary>
    B,

    /// <summary>A collective with camouflage: as B, but members keep shards and answer well a fraction f of the time.</summary>
    C,

    /// <summary>
    /// A collective with spies: spies behave like honest peers and name only the other members in their rows;
    /// the other members drop every shard and name each other.
    /// </summary>
    D,
}
