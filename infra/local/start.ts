// `npm start`: the embedded stack on loopback until Ctrl-C / SIGTERM.
import { fail, launchStack } from './launch';

launchStack()
  .then((stack) => console.log(`memberflow ready — API ${stack.apiUrl} token ${stack.token}`))
  .catch(fail);
