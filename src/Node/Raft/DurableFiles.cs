using System.Runtime.InteropServices;
using System.Text;

namespace RaftKV.Node.Raft;

/// <summary>
/// Publishing a file so that a crash leaves either the old state or the whole new file: write a temporary file,
/// fsync it, rename it over the target, fsync the folder (the rename itself lives in the folder's metadata).
/// </summary>
internal static class DurableFiles
{
    /// <summary>Renames the written and flushed <paramref name="temporary"/> to <paramref name="target"/>, then syncs the folder.</summary>
    public static void Publish(string temporary, string target)
    {
        File.Move(temporary, target, overwrite: true);
        SyncFolder(Path.GetDirectoryName(target)!);
    }

    /// <summary>fsync of a folder (Linux; elsewhere a rename is taken as durable, which NTFS journals anyway).</summary>
    public static void SyncFolder(string folder)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var path = Encoding.UTF8.GetBytes(folder + "\0");
        var descriptor = Open(path, 0 /* O_RDONLY */);
        if (descriptor < 0)
            throw new IOException($"Could not open {folder} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(descriptor) != 0)
                throw new IOException($"Could not sync {folder} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int descriptor);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int descriptor);
}
