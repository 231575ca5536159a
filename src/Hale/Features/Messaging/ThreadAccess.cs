using Hale.Security;

namespace Hale.Features.Messaging;

/// <summary>
/// Who may see a thread: the patient it belongs to, and the clinicians and nurses on that patient's
/// care team. Everyone else gets nothing, and pages answer 404 exactly as for a missing id.
/// </summary>
public static class ThreadAccess
{
    public static IQueryable<MessageThread> VisibleTo(this IQueryable<MessageThread> threads, CurrentUser user)
    {
        if (user.IsPatient)
        {
            var patientId = user.PatientId ?? Guid.Empty;
            return threads.Where(t => t.PatientId == patientId);
        }
        if (user.IsCareTeamRole)
        {
            var staffId = user.Id;
            return threads.Where(t => t.Patient!.CareTeam.Any(m => m.StaffUserId == staffId));
        }
        return threads.Where(_ => false);
    }
}
