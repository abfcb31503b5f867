namespace FashionFunctions.Core.Access;

/// <summary>
/// Who is asking: a stable <see cref="Id"/> recorded as the owner of what they create (an Entra object id, a
/// function key's name, or <see cref="Local"/>), and their <see cref="Role"/>.
/// </summary>
public sealed record Caller(string Id, Role Role)
{
    /// <summary>The caller of an app that checks no identity (local development): an admin.</summary>
    public static Caller Local { get; } = new("local", Role.Admin);

    /// <summary>The app acting for itself (the watchdog, a sweep cancelling its own points).</summary>
    public static Caller App { get; } = new("app", Role.Admin);

    public bool IsAdmin => Role == Role.Admin;

    /// <summary>Whether this caller may read and cancel a record owned by <paramref name="owner"/>. Records made
    /// before owners were recorded (owner null) are the admins'.</summary>
    public bool Owns(string? owner) => IsAdmin || (owner is not null && string.Equals(owner, Id, StringComparison.Ordinal));

    /// <summary>Throws <see cref="AccessDeniedException"/> unless the caller has at least <paramref name="role"/>.</summary>
    public void Require(Role role, string action)
    {
        if (Role < role)
        {
            throw new AccessDeniedException(this, role, action);
        }
    }

    /// <summary>Idempotency keys are the caller's own: the same key from two callers names two requests.</summary>
    public string ScopeKey(string idempotencyKey) => $"{Id}\n{idempotencyKey}";
}
