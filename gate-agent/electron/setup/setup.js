// First-run form: hands the cloud URL and enrollment token to the main process through the preload
// bridge (window.gateSetup); the main process enrolls the agent and then loads the scanner UI.
const form = document.getElementById('setup');
const message = document.getElementById('message');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  message.textContent = 'Enrolling…';
  const cloud = document.getElementById('cloud').value;
  const token = document.getElementById('token').value;
  const result = await window.gateSetup.enroll(cloud, token);
  message.textContent = result.ok ? 'Enrolled.' : `Could not enroll: ${result.message}`;
});
