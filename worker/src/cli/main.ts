console.log("cli placeholder");
