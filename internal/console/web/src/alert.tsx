/** Alert shows a page's error message to the user (role=alert, read out
 * by screen readers); nothing when there is no message. */
export function Alert({ message, id }: { message?: string; id?: string }) {
  if (!message) return null;
  return (
    <p id={id} class="error" role="alert">
      {message}
    </p>
  );
}
