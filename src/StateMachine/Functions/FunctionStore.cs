using System.Runtime.CompilerServices;
using System.Text;

namespace RaftKV.StateMachine.Functions;

/// <summary>
/// The replicated function libraries of one store (FUNCTION LOAD, DELETE, FLUSH, RESTORE: log entries applied on every
/// replica; kept in snapshots) and, apart from them, the engine's compiled form of each library, which is not state:
/// a store read from a snapshot compiles a library again from its code when one of its functions is first called
/// (loading is deterministic, so it registers what it registered before). The engine is created on first use and is
/// a Lua state of its own, apart from EVAL's, as Redis keeps one.
/// Not thread-safe: callers hold <see cref="Gate"/> (applies, and FCALL_RO reads, which may run alongside other reads).
/// </summary>
internal sealed class FunctionStore(Func<IFunctionEngine> engineFactory) : IDisposable
{
    public const string BadName = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

    private readonly ConditionalWeakTable<FunctionLibrary, LoadedLibrary> _compiled = new();
    private IFunctionEngine? _engine;

    public Lock Gate { get; } = new();

    /// <summary>The libraries in effect.</summary>
    public FunctionSet Current { get; private set; } = new();

    /// <summary>Bytes the engine holds (0 before the first library).</summary>
    public long EngineMemory => _engine?.UsedMemory ?? 0;

    /// <summary>The engine, created on first use.</summary>
    public IFunctionEngine Engine => _engine ??= engineFactory();

    /// <summary>
    /// Redis's functionsCreateWithLibraryCtx: parses, compiles and registers <paramref name="code"/> into
    /// <paramref name="target"/>, replacing a library of the same name when <paramref name="replace"/>. Returns the
    /// library's name, or null and Redis's error (without "ERR "); a failure leaves <paramref name="target"/> unchanged.
    /// </summary>
    public string? Create(FunctionSet target, byte[] code, bool replace, out string? error)
    {
        var metadata = LibraryMetadata.TryParse(code, out error);
        if (metadata is null)
        {
            return null;
        }

        if (!LibraryMetadata.IsValidName(metadata.Name))
        {
            error = BadName;
            return null;
        }

        if (!string.Equals(metadata.Engine, FunctionLibrary.EngineName, StringComparison.OrdinalIgnoreCase))
        {
            error = $"Engine '{metadata.Engine}' not found";
            return null;
        }

        var name = Encoding.ASCII.GetString(metadata.Name);
        var old = target.FindLibrary(name);
        if (old is not null && !replace)
        {
            error = $"Library '{name}' already exists";
            return null;
        }

        var loaded = Engine.Load(metadata.Body, out error);
        if (loaded is null)
        {
            return null;
        }

        if (loaded.Functions.Count == 0)
        {
            Engine.Release(loaded);
            error = "No functions registered";
            return null;
        }

        foreach (var function in loaded.Functions)
        {
            if (target.FindFunction(function.Name) is { } existing && !ReferenceEquals(existing.Library, old))
            {
                Engine.Release(loaded);
                error = $"Function {function.Name} already exists";
                return null;
            }
        }

        if (old is not null)
        {
            target.Unlink(old);
            Release(old);
        }

        var library = new FunctionLibrary(name, code, loaded.Functions);
        target.Link(library);
        _compiled.Add(library, loaded);
        return name;
    }

    /// <summary>FUNCTION DELETE: false when there is no such library.</summary>
    public bool Delete(string name)
    {
        if (Current.FindLibrary(name) is not { } library)
        {
            return false;
        }

        Current.Unlink(library);
        Release(library);
        return true;
    }

    /// <summary>FUNCTION FLUSH.</summary>
    public void Flush() => Replace(new FunctionSet());

    /// <summary>Puts <paramref name="libraries"/> in effect instead of the current ones (RESTORE ... FLUSH).</summary>
    public void Replace(FunctionSet libraries)
    {
        foreach (var library in Current.Libraries)
        {
            Release(library);
        }

        Current = libraries;
    }

    /// <summary>Forgets the compiled form of every library of <paramref name="libraries"/> (a restore that failed).</summary>
    public void Discard(FunctionSet libraries)
    {
        foreach (var library in libraries.Libraries)
        {
            Release(library);
        }
    }

    /// <summary>
    /// Redis's libraryJoin: adds every library of <paramref name="source"/> to the current ones. A library name in
    /// both is an error, or with <paramref name="replace"/> replaces the old one; a function name of another library
    /// is an error. Returns null on success, otherwise the error (nothing changed).
    /// </summary>
    public string? Join(FunctionSet source, bool replace)
    {
        var replaced = new List<FunctionLibrary>();
        foreach (var library in source.Libraries)
        {
            if (Current.FindLibrary(library.Name) is { } old)
            {
                if (!replace)
                {
                    return $"Library {library.Name} already exists";
                }

                replaced.Add(old);
            }
        }

        foreach (var old in replaced)
        {
            Current.Unlink(old);
        }

        foreach (var library in source.Libraries)
        {
            foreach (var function in library.Functions)
            {
                if (Current.FindFunction(function.Name) is not null)
                {
                    foreach (var old in replaced)
                    {
                        Current.Link(old);
                    }

                    return $"Function {function.Name} already exists";
                }
            }
        }

        foreach (var old in replaced)
        {
            Release(old);
        }

        foreach (var library in source.Libraries)
        {
            Current.Link(library);
        }

        return null;
    }

    /// <summary>
    /// The compiled form of <paramref name="library"/>, compiling it again from its code when this store has not
    /// (read from a snapshot); null and the error when that fails, which a library that loaded once does not.
    /// </summary>
    public LoadedLibrary? Compiled(FunctionLibrary library, out string? error)
    {
        error = null;
        if (_compiled.TryGetValue(library, out var loaded))
        {
            return loaded;
        }

        var metadata = LibraryMetadata.TryParse(library.Code, out error);
        loaded = metadata is null ? null : Engine.Load(metadata.Body, out error);
        if (loaded is null)
        {
            return null;
        }

        _compiled.Add(library, loaded);
        return loaded;
    }

    public void Dispose()
    {
        _engine?.Dispose();
        _engine = null;
    }

    private void Release(FunctionLibrary library)
    {
        if (_compiled.TryGetValue(library, out var loaded))
        {
            _compiled.Remove(library);
            _engine?.Release(loaded);
        }
    }
}
