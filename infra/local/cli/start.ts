// `npm start`: the embedded stack on loopback until Ctrl-C / SIGTERM.
import { fail, launchStack, readyMessage } from './launch';

launchStack()
  .then((stack) => console.log(readyMessage(stack)))
  .catch(fail);
