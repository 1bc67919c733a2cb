using System.Runtime.CompilerServices;

// The crash test's writer process lowers the merge threshold, so its kills also land inside merges.
[assembly: InternalsVisibleTo("Overlay.Storage.CrashWriter")]
