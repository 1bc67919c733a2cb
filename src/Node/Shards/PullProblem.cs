namespace Overlay.Node.Shards;

/// <summary>Why a holder refused a pull beyond the refusals a store shares (counted <c>overlay.shard.pulls_refused{reason}</c>).</summary>
public enum PullProblem
{
    /// <summary>The source is not an address pinned to another node's PeerId.</summary>
    BadSource,

    /// <summary>The source did not give bytes that hash to the shard id.</summary>
    SourceFailed,

    /// <summary>The source's shard is not the size the opener announced.</summary>
    SizeMismatch,
}
