namespace Overlay.Dht.Coordinates;

/// <summary>Why a latency matrix text was refused.</summary>
public enum LatencyMatrixErrorKind
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The text holds no rows.</summary>
    Empty,

    /// <summary>A cell is not a plain decimal number.</summary>
    InvalidNumber,

    /// <summary>A cell is negative.</summary>
    NegativeValue,

    /// <summary>A row has a different number of cells than the first row.</summary>
    RaggedRow,

    /// <summary>The number of rows differs from the number of columns.</summary>
    NotSquare,

    /// <summary>The first row has more cells than the allowed number of hosts.</summary>
    TooManyHosts,
}
