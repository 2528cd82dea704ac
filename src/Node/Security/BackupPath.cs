namespace RaftKV.Node.Security;

/// <summary>
/// Where a client may make RAFTKV.BACKUP write: a file inside the configured backup directory, and nowhere else (a
/// backup to an absolute path once replaced a file under /etc). The argument is a file name or a relative path inside
/// the directory, or an absolute path that lies inside it. Refused: a <c>..</c> segment anywhere, a path that leaves the
/// directory, and a path whose existing directories lead outside it through a symbolic link (the real path of the
/// directory part is checked, not its spelling). The directory itself may be a link (the operator's choice, e.g.
/// backups on another disk): only what lies below it is checked.
/// </summary>
internal static class BackupPath
{
    /// <summary>The symbolic links followed while resolving one path before it counts as a loop (Linux's MAXSYMLINKS).</summary>
    private const int MaxLinks = 40;

    /// <summary>
    /// Resolves <paramref name="argument"/> inside <paramref name="directory"/> (created on demand, as are the
    /// subdirectories the argument names once they are known to lie inside it). On success <paramref name="path"/> is the
    /// real path to write, links resolved; otherwise <paramref name="error"/> is the reply's error text.
    /// </summary>
    public static bool TryResolve(string directory, string argument, out string path, out string? error)
    {
        path = string.Empty;
        if (argument.Length == 0 || argument.Any(static c => char.IsControl(c)) || argument.EndsWith('/') || argument.EndsWith(Path.DirectorySeparatorChar))
            return Refuse("is not a valid backup file name", argument, out error);
        if (argument.Split('/', Path.DirectorySeparatorChar).Contains(".."))
            return Refuse("contains '..'", argument, out error);

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        Directory.CreateDirectory(root);
        var realRoot = RealPath(root);
        var candidate = Path.GetFullPath(Path.IsPathRooted(argument) ? argument : Path.Combine(root, argument));

        // Spelled inside the directory (or its real path), then really inside it once the links below it are followed.
        string relative;
        if (IsInside(candidate, root))
            relative = Path.GetRelativePath(root, candidate);
        else if (IsInside(candidate, realRoot))
            relative = Path.GetRelativePath(realRoot, candidate);
        else
            return Refuse("is outside the backup directory", argument, out error);

        var target = Path.Combine(realRoot, relative);
        var parent = RealPath(Path.GetDirectoryName(target)!);
        if (!IsInside(parent, realRoot) && parent != realRoot)
            return Refuse("leads outside the backup directory through a symbolic link", argument, out error);

        Directory.CreateDirectory(parent);
        path = Path.Combine(parent, Path.GetFileName(target));
        error = null;
        return true;
    }

    private static bool Refuse(string why, string argument, out string? error)
    {
        error = $"ERR backup refused: '{argument}' {why}";
        return false;
    }

    private static bool IsInside(string path, string directory) =>
        path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// The real path of an absolute, normalized <paramref name="path"/>: every existing component that is a symbolic
    /// link replaced by what it finally points to; components that do not exist yet are kept as spelled.
    /// </summary>
    internal static string RealPath(string path)
    {
        var links = 0;
        var pending = new Stack<string>(path[Path.GetPathRoot(path)!.Length..]
            .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = Path.GetPathRoot(path)!;
        var exists = true;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (exists && info.LinkTarget is { } link)
            {
                if (++links > MaxLinks)
                    throw new IOException($"Too many levels of symbolic links: {path}");

                // The link's target is read again component by component, since it may itself hold links or '..'.
                var resolved = Path.IsPathRooted(link) ? link : Path.Combine(current, link);
                foreach (var piece in resolved[Path.GetPathRoot(resolved)!.Length..]
                             .Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                    pending.Push(piece);
                current = Path.GetPathRoot(resolved)!;
                continue;
            }

            exists = exists && (info.Exists || Directory.Exists(next));
            current = next;
        }

        return current;
    }
}
