namespace Overlay.Node.Doctor;

/// <summary>One check of <c>overlay doctor</c>.</summary>
/// <param name="Name">What was checked, a short lowercase name (e.g. <c>key-file</c>).</param>
/// <param name="Verdict">What it found.</param>
/// <param name="Detail">One sentence saying what was seen.</param>
/// <param name="Fix">One line saying what to do; null when there is nothing to do.</param>
public sealed record DoctorCheck(string Name, DoctorVerdict Verdict, string Detail, string? Fix = null)
{
    public static DoctorCheck Ok(string name, string detail) => new(name, DoctorVerdict.Ok, detail);

    public static DoctorCheck Skipped(string name, string detail) => new(name, DoctorVerdict.Skipped, detail);

    public static DoctorCheck Warning(string name, string detail, string fix) => new(name, DoctorVerdict.Warning, detail, fix);

    public static DoctorCheck Failed(string name, string detail, string fix) => new(name, DoctorVerdict.Failed, detail, fix);
}
