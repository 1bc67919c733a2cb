namespace Overlay.Node.Doctor;

/// <summary>What one <c>overlay doctor</c> check found.</summary>
public enum DoctorVerdict
{
    /// <summary>Nothing to do.</summary>
    Ok,

    /// <summary>The node works, but worse than it could (e.g. TCP only, clock not synchronised).</summary>
    Warning,

    /// <summary>The node cannot start, or cannot do its job, until this is fixed.</summary>
    Failed,

    /// <summary>Not checked, and the detail says why (e.g. nothing configured to check).</summary>
    Skipped,
}
